package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TimeZone;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/**
 * Importing the origin system's auth_tokens.json: once, recorded in the store, hashed, expired
 * entries skipped, expiries capped, and the file deleted so no raw token stays on disk.
 */
class LegacyImportTest {

  private static final String ALICE = "xIIZyL3I4V9i8774aliceAAAAAAAAAAAAAAAAAAAAAAA";
  private static final String BOB = "q9v8Vd6PmYH3bobBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
  private static final String OLD = "oldOLDoldOLDoldOLDoldOLDoldOLDoldOLDoldOLD00";
  private static final String ONE = "{\"" + ALICE + "\": {\"username\": \"alice\", \"created_at\": "
      + "\"2025-10-27T17:00:00\", \"expires_at\": \"2026-06-01T00:00:00\"}}";

  @TempDir
  Path tmp;

  /** 2025-11-01T12:00 UTC; the clock's zone (UTC) reads the naive date-times. */
  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-01T12:00:00Z"));

  private Path file() {
    return tmp.resolve("backend").resolve("auth_tokens.json");
  }

  private Path legacy(String json) throws IOException {
    Files.createDirectories(file().getParent());
    return Files.writeString(file(), json);
  }

  private FileTokenStore open(Path legacyFile) {
    return FileTokenStore.builder().directory(tmp.resolve("store")).clock(clock)
        .importLegacy(legacyFile).legacyMaxLifetime(Duration.ofDays(3)).build();
  }

  private FileTokenStore openWithoutImport() {
    return FileTokenStore.builder().directory(tmp.resolve("store")).clock(clock).build();
  }

  /** An opener interrupted before it opens (a cancelled start-up task) still imports. */
  @Test
  void importLegacy_openerInterrupted_importsDeletesTheFileAndKeepsTheInterrupt()
      throws IOException {
    Path file = legacy(ONE);
    Thread.currentThread().interrupt();
    try (FileTokenStore store = open(file)) {
      assertTrue(Thread.currentThread().isInterrupted(), "the open cleared its interrupt");
      assertTrue(store.find(TokenHash.sha256(ALICE)).isPresent());
    } finally {
      Thread.interrupted();
    }
    assertFalse(Files.exists(file), "the legacy file was kept");
    try (FileTokenStore reopened = openWithoutImport()) {
      assertTrue(reopened.find(TokenHash.sha256(ALICE)).isPresent(), "imported, then lost");
    }
  }

  /**
   * With no clock given, the naive date-times are read in the JVM's zone, as the builder says.
   * The store's own clock is then the system's in UTC, so the zone is asked for only here.
   */
  @Test
  void importLegacy_noClockGiven_readsTheNaiveDateTimesInTheSystemZone() throws IOException {
    Path file = legacy("""
        {"%s": {"username": "alice@example.com", "created_at": "2090-01-01T09:00:00",
                "expires_at": "2090-01-02T09:00:00"}}""".formatted(ALICE));
    TimeZone before = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("Asia/Tokyo"));
    try (FileTokenStore store = FileTokenStore.builder().directory(tmp.resolve("store"))
        .importLegacy(file).legacyMaxLifetime(Duration.ofDays(36_500)).build()) {
      Session alice = store.find(TokenHash.sha256(ALICE)).orElseThrow().session().session();
      assertEquals(Instant.parse("2090-01-01T00:00:00Z"), alice.createdAt());
      assertEquals(Instant.parse("2090-01-02T00:00:00Z"), alice.expiresAt());
    } finally {
      TimeZone.setDefault(before);
    }
  }

  @Test
  void importLegacy_goodFile_importsLiveTokensAsSessions_skipsExpired_capsExpiries()
      throws IOException {
    Path file = legacy("""
        {
          "%s": {"username": "alice@example.com", "created_at": "2025-10-27T17:00:00",
                 "expires_at": "2025-11-03T17:00:00"},
          "%s": {"username": "bob@example.com", "created_at": "2025-10-30T08:15:30.123456",
                 "expires_at": "2026-11-06T08:15:30.123456"},
          "%s": {"username": "old@example.com", "created_at": "2025-10-01T00:00:00",
                 "expires_at": "2025-10-08T00:00:00"}
        }""".formatted(ALICE, BOB, OLD));
    try (FileTokenStore store = open(file)) {
      TokenEntry alice = store.find(TokenHash.sha256(ALICE)).orElseThrow();
      assertEquals("alice@example.com", alice.session().subject());
      assertEquals(Instant.parse("2025-10-27T17:00:00Z"), alice.session().session().createdAt());
      assertEquals(Instant.parse("2025-11-03T17:00:00Z"), alice.session().expiresAt());
      assertEquals(null, alice.token().expiresAt(), "a single-token session of its own");
      assertEquals(clock.instant().plus(Duration.ofDays(3)),
          store.find(TokenHash.sha256(BOB)).orElseThrow().session().expiresAt(),
          "expiry capped at the maximum lifetime from the import");
      assertTrue(store.find(TokenHash.sha256(OLD)).isEmpty(), "expired entries are skipped");
      assertEquals(2, store.liveCount());
    }
    List<String> lines = CapturedLogs.texts(Level.INFO, "Imported 2 tokens from " + file);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("1 expired skipped") && lines.get(0).contains("1 expiries "
        + "capped") && lines.get(0).contains("deleted it"), lines.get(0));
    try (FileTokenStore reopened = openWithoutImport()) {
      assertEquals(2, reopened.liveCount(), "imported once, kept after reopen");
    }
  }

  @Test
  void importLegacy_afterTheImport_noRawTokenIsLeftAnywhere() throws IOException {
    legacy(ONE.replace("}}", "}, \"" + BOB + "\": {\"username\": \"bob\", \"created_at\": "
        + "\"2025-10-27T17:00:00\", \"expires_at\": \"2026-06-01T00:00:00\"}}"));
    try (FileTokenStore store = open(file())) {
      store.compact();
    }
    assertFalse(Files.exists(file()), "the legacy file is deleted once the import is durable");
    try (Stream<Path> files = Files.walk(tmp)) {
      List<Path> all = files.filter(Files::isRegularFile).toList();
      assertFalse(all.stream().anyMatch(p -> p.getFileName().toString().contains("imported")),
          all.toString());
      for (Path stored : all) {
        String content = new String(Files.readAllBytes(stored), StandardCharsets.ISO_8859_1);
        assertFalse(content.contains(ALICE) || content.contains(BOB), "raw token in " + stored);
      }
    }
  }

  @Test
  void importLegacy_sameFileShippedAgainAfterLogoutAndCompaction_bringsNothingBack()
      throws IOException {
    legacy(ONE);
    try (FileTokenStore store = open(file())) {
      SessionRecord alice = store.find(TokenHash.sha256(ALICE)).orElseThrow().session();
      assertTrue(store.revokeSession(alice.id(), clock.instant()));
      store.compact();
    }
    // The logged-out session ends and is forgotten; the file would still give it months.
    clock.advance(Duration.ofDays(4));
    try (FileTokenStore store = openWithoutImport()) {
      store.compact();
      assertTrue(store.find(TokenHash.sha256(ALICE)).isEmpty());
    }
    legacy(ONE); // an image or a backup ships the file again
    try (FileTokenStore store = open(file())) {
      assertTrue(store.find(TokenHash.sha256(ALICE)).isEmpty(), "the logged-out token is back");
    }
    assertFalse(Files.exists(file()), "the copy shipped again is deleted unread");
    assertEquals(1, CapturedLogs.texts(Level.WARN, "was imported already").size());
  }

  @Test
  void importLegacy_aDifferentFileOnceAnImportIsRecorded_isNotImported_andLeftWithAWarning()
      throws IOException {
    legacy(ONE);
    open(file()).close();
    String other = ONE.replace(ALICE, BOB);
    legacy(other);
    try (FileTokenStore store = open(file())) {
      assertTrue(store.find(TokenHash.sha256(BOB)).isEmpty());
    }
    assertEquals(other, Files.readString(file()));
    List<String> warnings = CapturedLogs.texts(Level.WARN, "not importing " + file());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("delete it"), warnings.get(0));
  }

  @Test
  void importLegacy_copyAnEarlierReleaseKept_isDeleted_andNeverImported() throws IOException {
    Path copy = legacy(ONE).resolveSibling("auth_tokens.json.imported");
    Files.move(file(), copy);
    openWithoutImport().close();
    try (FileTokenStore store = open(file())) {
      assertTrue(store.find(TokenHash.sha256(ALICE)).isEmpty());
    }
    assertFalse(Files.exists(copy), "the earlier release's copy held raw tokens");
    legacy(ONE);
    try (FileTokenStore store = open(file())) {
      assertTrue(store.find(TokenHash.sha256(ALICE)).isEmpty(), "recorded as imported");
    }
    assertFalse(Files.exists(file()));
  }

  @Test
  void importLegacy_malformedFiles_areRefusedWhole_withoutTheRawToken() throws IOException {
    String good = "\"" + ALICE + "\": {\"username\": \"alice\", \"created_at\": "
        + "\"2025-10-27T17:00:00\", \"expires_at\": \"2025-11-03T17:00:00\"}";
    String[] malformed = {
        "{" + good + ", \"" + BOB + "\": {\"username\": \"bob\"}}",
        "{" + good + ", \"" + BOB + "\": {\"username\": \"bob\", \"created_at\": \"yesterday\", "
            + "\"expires_at\": \"2025-11-03T17:00:00\"}}",
        "{" + good + ", " + BOB + ": {}}",
        "[\"" + ALICE + "\"]",
        "{" + good + ", " + good + "}",
        "{" + good,
    };
    for (String json : malformed) {
      Path file = legacy(json);
      StoreCorruptedException e =
          assertThrows(StoreCorruptedException.class, () -> open(file), json);
      assertTrue(e.getMessage().contains("auth_tokens.json"), e.getMessage());
      assertFalse(e.getMessage().contains(ALICE) || e.getMessage().contains(BOB), e.getMessage());
      assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file));
      try (FileTokenStore store = openWithoutImport()) {
        assertEquals(0, store.liveCount(), "nothing half-imported from " + json);
      }
    }
  }
}
