package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Importing the origin system's auth_tokens.json: once, hashed, expired entries skipped. */
class LegacyImportTest {

  private static final String ALICE = "xIIZyL3I4V9i8774aliceAAAAAAAAAAAAAAAAAAAAAAA";
  private static final String BOB = "q9v8Vd6PmYH3bobBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
  private static final String OLD = "oldOLDoldOLDoldOLDoldOLDoldOLDoldOLDoldOLD00";

  @TempDir
  Path tmp;

  /** 2025-11-01T12:00 UTC; the clock's zone (UTC) reads the naive date-times. */
  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-01T12:00:00Z"));

  private Path legacy(String json) throws IOException {
    Path file = tmp.resolve("backend").resolve("auth_tokens.json");
    Files.createDirectories(file.getParent());
    return Files.writeString(file, json);
  }

  private FileTokenStore open(Path legacyFile) {
    return FileTokenStore.builder()
        .directory(tmp.resolve("store")).clock(clock).importLegacy(legacyFile).build();
  }

  @Test
  void importLegacy_goodFile_importsLiveTokensHashed_skipsExpired_andRenamesTheFile()
      throws IOException {
    Path file = legacy("""
        {
          "%s": {"username": "alice@example.com", "created_at": "2025-10-27T17:00:00",
                 "expires_at": "2025-11-03T17:00:00"},
          "%s": {"username": "bob@example.com", "created_at": "2025-10-30T08:15:30.123456",
                 "expires_at": "2025-11-06T08:15:30.123456"},
          "%s": {"username": "old@example.com", "created_at": "2025-10-01T00:00:00",
                 "expires_at": "2025-10-08T00:00:00"}
        }""".formatted(ALICE, BOB, OLD));
    try (FileTokenStore store = open(file)) {
      TokenRecord alice = store.find(TokenHash.sha256(ALICE)).orElseThrow();
      assertEquals("alice@example.com", alice.session().subject());
      assertEquals(Instant.parse("2025-10-27T17:00:00Z"), alice.session().createdAt());
      assertEquals(Instant.parse("2025-11-03T17:00:00Z"), alice.session().expiresAt());
      assertTrue(store.find(TokenHash.sha256(BOB)).isPresent());
      assertTrue(store.find(TokenHash.sha256(OLD)).isEmpty(), "expired entries are skipped");
      assertEquals(2, store.liveCount());
    }
    assertFalse(Files.exists(file));
    assertTrue(Files.exists(file.resolveSibling("auth_tokens.json.imported")));
    try (Stream<Path> files = Files.list(tmp.resolve("store"))) {
      for (Path stored : files.toList()) {
        String content = new String(Files.readAllBytes(stored), StandardCharsets.ISO_8859_1);
        assertFalse(content.contains(ALICE) || content.contains(BOB), "raw token at rest");
      }
    }
    try (FileTokenStore reopened = open(file)) {
      assertEquals(2, reopened.liveCount(), "imported once, kept after reopen");
    }
  }

  @Test
  void importLegacy_sameFileAgainBeforeRename_importsNothingTwice() throws IOException {
    String json = "{\"" + ALICE + "\": {\"username\": \"alice\", \"created_at\": "
        + "\"2025-10-27T17:00:00\", \"expires_at\": \"2025-11-03T17:00:00\"}}";
    Path file = legacy(json);
    open(file).close();
    legacy(json); // as if the rename had been lost in a crash
    try (FileTokenStore store = open(file)) {
      assertEquals(1, store.liveCount());
    }
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
      try (FileTokenStore store = FileTokenStore.builder()
          .directory(tmp.resolve("store")).clock(clock).build()) {
        assertEquals(0, store.liveCount(), "nothing half-imported from " + json);
      }
    }
  }
}
