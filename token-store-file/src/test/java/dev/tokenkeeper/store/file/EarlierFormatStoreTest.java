package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Opens stores written by earlier releases, as they left them on disk: each fixture in
 * {@code src/test/resources/vN-store} was made by the release writing format N (format 3 by
 * commit 0bc50e6, format 4, snapshot blocks, by commit 5d11f0a), running the same generator
 * ({@code vN-store-generator.java.txt}): a snapshot and a log holding a legacy import, issued,
 * used, unused, non-ASCII, revoked, revoked-everywhere, paired and twice refreshed sessions. The
 * plaintexts each printed are in {@code vN-store.properties}; they open nothing outside this test.
 */
class EarlierFormatStoreTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final List<String> FILES = List.of("snapshot-0000000002", "log-0000000002");
  /** Every subject's sessions, revoked ones included. */
  private static final Map<String, Integer> SESSIONS = Map.of("alice", 4, "bob", 1, "carol", 1,
      "dave", 2, "erin", 1, "frank", 1, "\u00e9mil \u6771\u4eac \ud83d\ude00", 1);

  @TempDir
  Path tmp;

  private StoreFixture fixture;

  @ParameterizedTest
  @ValueSource(strings = {"v3-store", "v4-store", "v5-store"})
  void open_keepsEverySession_andRewritesTheStoreInTheCurrentFormat(String name)
      throws IOException {
    fixture = StoreFixture.of(name, FILES, tmp.resolve("store"));
    fixture.open().close();
    try (Stream<Path> files = Files.list(fixture.dir)) {
      for (Path file : files.filter(p -> !p.getFileName().toString().equals("LOCK")).toList()) {
        byte[] header = Arrays.copyOf(Files.readAllBytes(file), Frames.HEADER);
        assertEquals(Frames.VERSION, header[Frames.HEADER - 1], file + " is in the current format");
        assertFalse(FILES.contains(file.getFileName().toString()), "old file left: " + file);
      }
    }
    for (int reopen = 0; reopen < 2; reopen++) {
      try (FileTokenStore store = fixture.open()) {
        for (Map.Entry<String, Integer> subject : SESSIONS.entrySet()) {
          assertEquals(subject.getValue(), store.findSessions(subject.getKey()).size(),
              subject.getKey() + "'s sessions, reopen " + reopen);
        }
        assertEquals(11, SESSIONS.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(7, store.liveCount(), "alice's three, bob's, carol's, emil's, the import");
        assertUsable(store);
        store.compact();
      }
    }
  }

  private void assertUsable(FileTokenStore store) {
    SessionRecord used = store.find(TokenHash.sha256(fixture.token("single.live"))).orElseThrow()
        .session();
    assertFalse(used.session().lastUsedAt().isBefore(Instant.parse(fixture.token("single.live.lastUsed"))),
        "the last use was kept");
    assertEquals("laptop", used.session().label());
    SessionRecord unused = store.find(TokenHash.sha256(fixture.token("single.unused"))).orElseThrow()
        .session();
    assertEquals(null, unused.session().label());
    assertEquals("t\u00e9l\u00e9phone", store.find(TokenHash.sha256(fixture.token("single.unicode")))
        .orElseThrow().session().session().label());
    assertTrue(store.find(TokenHash.sha256(fixture.token("pair.access"))).orElseThrow().session()
        .refreshHash() != null, "a pair keeps its refresh hash");
    TokenService service = fixture.service(store);
    for (String live : List.of("single.live", "single.unused", "single.unicode", "log.live",
        "legacy")) {
      assertTrue(service.authenticate(fixture.token(live)).isAuthenticated(), live);
    }
    assertEquals(AuthResult.Reason.EXPIRED, rejected(service.authenticate(
        fixture.token("rotated.access"))), "an access token keeps its own short expiry");
    for (String revoked : List.of("single.revoked", "snapshot.revoked", "revokedAll.1",
        "revokedAll.2")) {
      assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(fixture.token(revoked))),
          revoked);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"v3-store", "v4-store", "v5-store"})
  void open_refreshesTheCurrentToken_andEachRotatedOneIsReuse(String name) throws IOException {
    fixture = StoreFixture.of(name, FILES, tmp.resolve("store"));
    for (String old : List.of("rotated.oldRefresh", "rotated.middleRefresh")) {
      try (FileTokenStore store = fixture.open()) {
        TokenService service = fixture.service(store);
        assertEquals(AuthResult.Reason.REUSED, assertInstanceOf(RefreshResult.Rejected.class,
            service.refresh(fixture.token(old), CLIENT)).reason(), old + " is a rotated tombstone");
      }
      fixture = StoreFixture.of(name, FILES, tmp.resolve("store" + System.nanoTime()));
    }
    try (FileTokenStore store = fixture.open()) {
      TokenService service = fixture.service(store);
      assertTrue(service.refresh(fixture.token("pair.refresh"), CLIENT).isRefreshed());
      assertTrue(service.refresh(fixture.token("rotated.refresh"), CLIENT).isRefreshed());
    }
  }

  /**
   * A power cut at each change the upgrade makes in turn (the new snapshot, its log, the old
   * files' deletion, the directory's force), unforced bytes kept or lost as the seeded disk
   * draws: the next open finds every session by its token and its id, logs each out, and leaves
   * the store in the current format.
   */
  @ParameterizedTest
  @ValueSource(strings = {"v3-store", "v4-store", "v5-store"})
  void powerCutDuringTheUpgrade_opensWithEverySessionFoundAndRevocable(String name)
      throws IOException {
    long seed = Long.getLong("tokenkeeper.test.seed", 0x5EED_0012L);
    System.out.println("EarlierFormatStoreTest upgrade cuts of " + name + ": seed " + seed);
    boolean upgradedWhole = false;
    int cut = 0;
    for (; !upgradedWhole; cut++) {
      assertTrue(cut < 200, "the upgrade never ran to its end");
      fixture = StoreFixture.of(name, FILES, tmp.resolve("cut-" + name + "-" + cut));
      PowerCutDisk disk = new PowerCutDisk(fixture.dir, seed + cut,
          EnumSet.allOf(PowerCutDisk.Tail.class));
      disk.cutAfter(cut);
      try (FileTokenStore store = FileTokenStore.builder().directory(fixture.dir)
          .clock(fixture.clock).disk(disk).build()) {
        upgradedWhole = !disk.isDead();
        store.abandon();
      } catch (RuntimeException cutShort) {
        assertTrue(disk.isDead(), "cut " + cut + ": " + cutShort);
      }
      if (disk.isDead()) {
        disk.powerCut();
      }
      try (FileTokenStore store = fixture.open()) {
        assertUsable(store);
        for (String token : List.of("single.live", "single.unused", "single.unicode",
            "log.live", "pair.access")) {
          Optional<TokenEntry> found = store.find(TokenHash.sha256(fixture.token(token)));
          assertTrue(found.isPresent(), "cut " + cut + ": " + token + " not found");
          TokenEntry entry = found.get();
          SessionRecord session = entry.session();
          assertEquals(session.id(), store.findSession(session.id()).orElseThrow().id(),
              "cut " + cut + ": " + token + "'s session by its id");
          assertTrue(store.revokeSession(session.id(), fixture.clock.instant()),
              "cut " + cut + ": " + token + "'s session logs out");
        }
      }
      try (FileTokenStore store = fixture.open()) {
        TokenService service = fixture.service(store);
        for (String token : List.of("single.live", "single.unused", "single.unicode",
            "log.live")) {
          assertEquals(AuthResult.Reason.REVOKED,
              rejected(service.authenticate(fixture.token(token))), "cut " + cut + ": " + token);
        }
      }
      try (Stream<Path> files = Files.list(fixture.dir)) {
        for (Path file : files.filter(p -> !p.getFileName().toString().equals("LOCK")).toList()) {
          byte[] header = Arrays.copyOf(Files.readAllBytes(file), Frames.HEADER);
          assertEquals(Frames.VERSION, header[Frames.HEADER - 1], "cut " + cut + ": " + file);
        }
      }
    }
    System.out.println("  the upgrade ran whole after " + (cut - 1) + " cuts");
    assertTrue(cut > 3, "the cuts landed before the upgrade wrote anything");
  }

  private static AuthResult.Reason rejected(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }
}
