package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.event.Level;

class FileTokenStoreTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(T0);

  private Path dir() {
    return tmp.resolve("store");
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir()).clock(clock).build();
  }

  /** Every token of {@code known} the store still holds, with its session, by hash. */
  static Map<TokenHash, TokenEntry> contents(FileTokenStore store, List<Issued> known) {
    Map<TokenHash, TokenEntry> found = new HashMap<>();
    for (Issued issued : known) {
      store.find(issued.hash()).ifPresent(e -> found.put(issued.hash(), e));
    }
    return found;
  }

  @Test
  void compact_thenReopen_stateIdentical_expiredForgotten_revokedKept() {
    List<Issued> all = new ArrayList<>();
    Map<TokenHash, TokenEntry> before;
    try (FileTokenStore store = open()) {
      for (int i = 0; i < 30; i++) {
        all.add(Issued.create(store, "user" + (i % 4),
            Duration.ofMinutes(i % 3 == 0 ? 1 : 60)));
      }
      all.get(1).revoke(store, T0.plusSeconds(1));
      store.revokeAll("user2", T0.plusSeconds(2));
      store.touch(all.get(4).session().id(), T0.plusSeconds(3), T0.plus(Duration.ofHours(2)));
      clock.advance(Duration.ofMinutes(5));
      // 20 sessions of an hour (i % 3 != 0), less #1 and user2's five (2, 10, 14, 22, 26).
      int live = 14;
      assertEquals(live, store.liveCount());
      store.compact();
      assertEquals(live, store.liveCount());
      before = contents(store, all);
      for (int i = 0; i < all.size(); i++) {
        assertEquals(i % 3 != 0, before.containsKey(all.get(i).hash()),
            "compaction forgets expired sessions only: " + i);
      }
      assertTrue(before.get(all.get(1).hash()).session().isRevoked(), "revoked stays known");
    }
    try (FileTokenStore reopened = open()) {
      Map<TokenHash, TokenEntry> after = contents(reopened, all);
      assertEquals(before, after);
      assertEquals(14, reopened.liveCount());
      assertEquals(T0.plus(Duration.ofHours(2)),
          after.get(all.get(4).hash()).session().expiresAt());
    }
  }

  @Test
  void compact_afterTheThiefRefreshed_victimReplayIsReused_andTheThiefChainDies_acrossRestart()
      throws IOException {
    IssuedPair victim;
    IssuedPair thief;
    try (FileTokenStore store = open()) {
      TokenService tokens = TokenService.builder().store(store).clock(clock).build();
      victim = tokens.issuePair("alice", "laptop", CLIENT);
      thief = refreshed(tokens.refresh(victim.refreshPlaintext(), CLIENT));
      clock.advance(Duration.ofMinutes(5));
      thief = refreshed(tokens.refresh(thief.refreshPlaintext(), CLIENT));
      store.compact();
    }
    try (Stream<Path> files = Files.list(dir())) {
      assertTrue(files.anyMatch(p -> p.getFileName().toString().equals("snapshot-0000000002")),
          "the tombstones now live in a snapshot");
    }
    assertEquals(Frames.HEADER + Frames.MARK_FRAME, Files.size(dir().resolve("log-0000000002")),
        "nothing of the history is left in a log, only the clean close's mark");
    try (FileTokenStore store = open()) {
      TokenService tokens = TokenService.builder().store(store).clock(clock).build();
      assertEquals(AuthResult.Reason.REUSED,
          rejected(tokens.refresh(victim.refreshPlaintext(), CLIENT)));
      assertFalse(tokens.authenticate(thief.access().plaintext()).isAuthenticated());
      assertEquals(AuthResult.Reason.REVOKED,
          rejected(tokens.refresh(thief.refreshPlaintext(), CLIENT)));
    }
  }

  @Test
  void compact_dropsSealedPairsPastTheirWindow_keepsTheTombstonesUntilTheSessionExpires() {
    SessionRecord session;
    TokenHash first;
    try (FileTokenStore store = open()) {
      session = TokenStoreContract.createPair(store, "alice");
      first = session.refreshHash();
      assertTrue(store.rotate(TokenStoreContract.rotation(session, T0.plusSeconds(1))));
      store.compact();
      assertNotNull(store.find(first).orElseThrow().token().successor(), "within the window");
      clock.advance(Duration.ofMinutes(1));
      store.compact();
    }
    try (FileTokenStore store = open()) {
      TokenRecord tombstone = store.find(first).orElseThrow().token();
      assertTrue(tombstone.isRotated());
      assertNull(tombstone.successor(), "the sealed pair is gone after its window");
      clock.set(session.expiresAt().plusSeconds(61));
      store.compact();
      assertEquals(Optional.empty(), store.find(first), "forgotten with its session");
    }
  }

  /**
   * A purge that forgets no session may still drop sealed pairs past their window in memory; the
   * log must say so, or a reopen, after a crash or a clean close, replays the rotation and holds
   * the pair again.
   */
  @ParameterizedTest(name = "crash={0}")
  @ValueSource(booleans = {false, true})
  void purgeThatDropsOnlySealedPairs_isLogged_soNoReopenBringsThemBack(boolean crash) {
    TokenHash first = endedByCrashOrClose(crash, store -> {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      assertTrue(store.rotate(TokenStoreContract.rotation(session, T0.plusSeconds(1))));
      clock.advance(Duration.ofMinutes(1));
      assertEquals(0, store.purgeExpired(clock.instant()), "no session has ended");
      TokenRecord tombstone = store.find(session.refreshHash()).orElseThrow().token();
      assertNull(tombstone.successor(), "dropped in memory");
      return tombstone.hash();
    });
    try (FileTokenStore reopened = open()) {
      TokenRecord tombstone = reopened.find(first).orElseThrow().token();
      assertTrue(tombstone.isRotated());
      assertNull(tombstone.successor(), "the reopened store holds what memory held");
    }
  }

  /**
   * A refresh of a session that only a use not yet written keeps alive: replay decides the
   * rotation again, so the use must be in the log before it, whether the store then closes
   * cleanly or crashes.
   */
  @ParameterizedTest(name = "crash={0}")
  @ValueSource(booleans = {false, true})
  void rotationOfASessionExtendedByAnUnwrittenUse_survivesAReopen(boolean crash) {
    SessionRecord rotated = endedByCrashOrClose(crash, store -> {
      SessionRecord created = TokenStoreContract.createPair(store, "alice");
      store.touch(created.id(), T0.plus(Duration.ofMinutes(30)), T0.plus(Duration.ofHours(2)));
      SessionRecord touched = store.findSession(created.id()).orElseThrow();
      assertTrue(store.rotate(TokenStoreContract.rotation(touched,
          T0.plus(Duration.ofMinutes(90)))), "live by its use, though past its first expiry");
      return store.findSession(created.id()).orElseThrow();
    });
    try (FileTokenStore reopened = open()) {
      assertEquals(Optional.of(rotated), reopened.findSession(rotated.id()),
          "the acknowledged rotation, with its new current refresh token");
    }
  }

  /** Runs {@code work} on an open store, then abandons it (a crash) or closes it cleanly. */
  private <T> T endedByCrashOrClose(boolean crash, Function<FileTokenStore, T> work) {
    FileTokenStore store = open();
    try {
      return work.apply(store);
    } finally {
      if (crash) {
        store.abandon();
      } else {
        store.close();
      }
    }
  }

  @Test
  void compact_sessionWithHundredsOfTombstones_fitsTheSnapshot_andReopensWhole() {
    List<TokenHash> hashes = new ArrayList<>();
    SessionId id;
    try (FileTokenStore store = FileTokenStore.builder().directory(dir()).clock(clock)
        .durability(Durability.NONE).build()) {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      id = session.id();
      for (int i = 0; i < 600; i++) {
        hashes.add(session.refreshHash());
        assertTrue(store.rotate(TokenStoreContract.rotation(session, T0.plusSeconds(i))));
        session = store.findSession(id).orElseThrow();
      }
      store.compact();
    }
    try (FileTokenStore store = open()) {
      for (TokenHash hash : hashes) {
        assertTrue(store.find(hash).orElseThrow().token().isRotated(), hash.toString());
      }
      assertEquals(1, store.liveCount());
    }
  }

  @Test
  void compactionThreshold_exceeded_compactsInBackground_andReopenKeepsEverything()
      throws IOException {
    List<Issued> created = new ArrayList<>();
    try (FileTokenStore store = FileTokenStore.builder()
        .directory(dir()).clock(clock).compactionThreshold(2_000).build()) {
      for (int i = 0; i < 200; i++) {
        Issued issued = Issued.create(store, "user" + (i % 7));
        created.add(issued);
        if (i % 5 == 0) {
          issued.revoke(store, T0.plusSeconds(i));
        }
      }
      // close does not wait for a compaction that is queued but not yet running: wait here.
      awaitSnapshot();
    }
    try (FileTokenStore reopened = open()) {
      for (int i = 0; i < created.size(); i++) {
        Issued issued = created.get(i);
        assertEquals(i % 5 == 0, issued.isRevokedIn(reopened), "revoke state of " + i);
        assertEquals(issued.token(), reopened.find(issued.hash()).orElseThrow().token());
      }
    }
  }

  @Test
  void touch_manyUses_writeNothingUntilFlushed_thenSurviveClose() throws IOException {
    Issued issued;
    try (FileTokenStore store = open()) {
      issued = Issued.create(store, "alice");
      long size = logBytes();
      for (int i = 1; i <= 100; i++) {
        store.touch(issued.session().id(), T0.plusSeconds(i),
            issued.session().expiresAt().plusSeconds(i));
      }
      assertEquals(size, logBytes(), "touches are coalesced in memory");
    }
    try (FileTokenStore reopened = open()) {
      assertEquals(T0.plusSeconds(100),
          issued.in(reopened).orElseThrow().session().lastUsedAt());
    }
  }

  @Test
  void touch_ofManySessions_isWrittenInFewRecords_andSurvivesClose() throws IOException {
    List<Issued> created = new ArrayList<>();
    long size;
    try (FileTokenStore store = FileTokenStore.builder().directory(dir()).clock(clock)
        .durability(Durability.NONE).build()) {
      for (int i = 0; i < 600; i++) {
        created.add(Issued.create(store, "user" + i));
      }
      size = logBytes();
      for (Issued issued : created) {
        store.touch(issued.session().id(), T0.plusSeconds(7), T0.plus(Duration.ofHours(2)));
      }
    }
    long perUse = (logBytes() - size) / created.size();
    assertTrue(perUse < 60, "one record per session would cost more: " + perUse + " bytes");
    try (FileTokenStore reopened = open()) {
      for (Issued issued : created) {
        assertEquals(T0.plus(Duration.ofHours(2)),
            issued.in(reopened).orElseThrow().expiresAt());
      }
    }
  }

  /** Bounded polling until a complete snapshot (not a .tmp) is in the directory. */
  private void awaitSnapshot() throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try (Stream<Path> files = Files.list(dir())) {
        if (files.anyMatch(p -> p.getFileName().toString().matches("snapshot-\\d+"))) {
          return;
        }
      }
      assertTrue(System.nanoTime() < deadline, "no background compaction within a minute");
      Thread.onSpinWait();
    }
  }

  private long logBytes() throws IOException {
    try (Stream<Path> files = Files.list(dir())) {
      return files.filter(p -> p.getFileName().toString().startsWith("log-"))
          .mapToLong(p -> p.toFile().length()).sum();
    }
  }

  @Test
  void open_newDirectory_isOwnerOnly_andFilesAreOwnerOnly() throws IOException {
    try (FileTokenStore store = open()) {
      Issued.create(store, "alice");
      store.compact();
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir())));
    try (Stream<Path> files = Files.list(dir())) {
      for (Path file : files.toList()) {
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(file)), file.toString());
      }
    }
  }

  @Test
  void open_worldReadableDirectory_warnsWithTheFix() throws IOException {
    Files.createDirectories(dir());
    Files.setPosixFilePermissions(dir(), PosixFilePermissions.fromString("rwxr-xr-x"));
    open().close();
    List<String> warnings = CapturedLogs.texts(Level.WARN, dir().toString());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("chmod 700"), warnings.get(0));
  }

  @Test
  void open_logsOneInfoLineWithCountDirectoryAndTime() {
    try (FileTokenStore store = open()) {
      Issued.create(store, "alice");
      Issued.create(store, "bob");
    }
    open().close();
    List<String> lines = CapturedLogs.texts(Level.INFO, "Opened token store " + dir());
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(1).contains("2 sessions loaded") && lines.get(1).contains(" ms"),
        lines.get(1));
  }

  @Test
  void files_afterIssuingRefreshingRevokingAndCompacting_holdNoSecret() throws IOException {
    List<String> secrets = new ArrayList<>();
    try (FileTokenStore store = open()) {
      TokenService tokens = TokenService.builder().store(store).clock(clock).build();
      for (int i = 0; i < 40; i++) {
        IssuedToken issued = tokens.issue("user" + (i % 3), "device " + i);
        secrets.add(issued.plaintext());
        if (i % 4 == 0) {
          tokens.revoke(issued.plaintext());
        }
        tokens.authenticate(issued.plaintext());
        IssuedPair pair = tokens.issuePair("user" + (i % 3), "app " + i, CLIENT);
        IssuedPair next = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
        secrets.addAll(List.of(pair.refreshPlaintext(), pair.access().plaintext(),
            next.refreshPlaintext(), next.access().plaintext()));
      }
      store.compact();
      tokens.issue("late");
    }
    List<byte[]> contents = new ArrayList<>();
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        contents.add(Files.readAllBytes(file));
      }
    }
    for (String secret : secrets) {
      String body = secret.substring(secret.indexOf('_') + 1, secret.indexOf('_') + 44);
      byte[] raw = Base64.getUrlDecoder().decode(body);
      for (byte[] content : contents) {
        String text = new String(content, StandardCharsets.ISO_8859_1);
        assertFalse(text.contains(secret) || text.contains(body)
            || text.contains(new String(raw, StandardCharsets.ISO_8859_1)), "secret at rest");
      }
    }
  }

  @Test
  void open_sameDirectoryTwiceInOneJvm_failsAtOnceNamingTheLock() {
    try (FileTokenStore first = open()) {
      StoreLockedException e = assertThrows(StoreLockedException.class, this::open);
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
      assertTrue(e.getMessage().contains(dir().toString()), e.getMessage());
      assertTrue(e.getMessage().contains("LOCK"), e.getMessage());
      assertTrue(first.find(TokenHash.sha256("x")).isEmpty(), "the first store still works");
    }
    open().close(); // and the lock was released on close
  }

  @Test
  void fsyncFailure_latchesFailedState_refusesWrites_neverRetries() {
    FaultyDisk disk = new FaultyDisk();
    Issued kept;
    try (FileTokenStore store = FileTokenStore.builder().directory(dir()).disk(disk).build()) {
      kept = Issued.create(store, "alice");
      disk.failForces();
      StoreUnavailableException first =
          assertThrows(StoreUnavailableException.class, () -> Issued.create(store, "bob"));
      assertTrue(first.getMessage().contains("refuses writes"), first.getMessage());
      int forces = disk.forces();
      assertThrows(StoreUnavailableException.class, () -> Issued.create(store, "carol"));
      assertThrows(StoreUnavailableException.class, () -> kept.revoke(store, T0));
      assertThrows(StoreUnavailableException.class, () -> store.revokeAll("alice", T0));
      assertThrows(StoreUnavailableException.class, store::compact);
      assertEquals(forces, disk.forces(), "a failed fsync is never retried");
      assertEquals(kept.token(), store.find(kept.hash()).orElseThrow().token(), "reads work");
      assertThrows(StoreUnavailableException.class, store::close);
    }
    try (FileTokenStore reopened = open()) {
      assertEquals(kept.session(), kept.in(reopened).orElseThrow());
    }
  }

  @Test
  void isFailed_afterAFailedFsync_isClosed_afterClose() {
    FileStoreFaults faults = FileStoreFaults.open(dir());
    FileTokenStore store = faults.store();
    Issued.create(store, "alice");
    assertFalse(store.isFailed());
    assertFalse(store.isClosed());

    faults.failForces();
    assertThrows(StoreUnavailableException.class, () -> Issued.create(store, "bob"));
    assertTrue(store.isFailed());
    assertFalse(store.isClosed());

    assertThrows(StoreUnavailableException.class, store::close);
    assertTrue(store.isFailed());
    assertTrue(store.isClosed());
  }

  @Test
  void isClosed_afterACleanClose_notFailed() {
    FileTokenStore store = open();
    store.close();
    assertTrue(store.isClosed());
    assertFalse(store.isFailed());
  }

  @Test
  void builder_optionSetTwice_isRefused() {
    FileTokenStore.Builder builder = FileTokenStore.builder().durability(Durability.NONE);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> builder.durability(Durability.SYNC));
    assertTrue(e.getMessage().contains("durability"), e.getMessage());
  }

  @Test
  void builder_badValues_areRefusedNamingTheOption() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FileTokenStore.builder().syncInterval(Duration.ZERO));
    assertTrue(e.getMessage().contains("syncInterval"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> FileTokenStore.builder().legacyMaxLifetime(Duration.ofSeconds(-1)));
    assertTrue(e.getMessage().contains("legacyMaxLifetime"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> FileTokenStore.builder().compactionThreshold(0));
    assertThrows(NullPointerException.class, () -> FileTokenStore.builder().directory(null));
    assertThrows(IllegalStateException.class, () -> FileTokenStore.builder().build());
  }

  private static IssuedPair refreshed(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Refreshed.class, result).pair();
  }

  private static AuthResult.Reason rejected(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Rejected.class, result).reason();
  }
}
