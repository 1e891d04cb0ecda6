package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.TokenStoreContract.T0;
import static dev.tokenkeeper.core.TokenStoreContract.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

class FileTokenStoreTest {

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(T0);

  private Path dir() {
    return tmp.resolve("store");
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir()).clock(clock).build();
  }

  /** Every record in the store, by hash, read through the public API. */
  static Map<TokenHash, TokenRecord> contents(FileTokenStore store, List<TokenRecord> known) {
    Map<TokenHash, TokenRecord> found = new HashMap<>();
    for (TokenRecord record : known) {
      store.find(record.hash()).ifPresent(r -> found.put(r.hash(), r));
    }
    return found;
  }

  @Test
  void compact_thenReopen_stateIdentical_revokedAndExpiredDropped() {
    List<TokenRecord> all = new ArrayList<>();
    Map<TokenHash, TokenRecord> before;
    try (FileTokenStore store = open()) {
      for (int i = 0; i < 30; i++) {
        TokenRecord record = record("user" + (i % 4), Duration.ofMinutes(i % 3 == 0 ? 1 : 60));
        store.save(record);
        all.add(record);
      }
      store.revoke(all.get(1).hash(), T0.plusSeconds(1));
      store.revokeAll("user2", T0.plusSeconds(2));
      store.touch(all.get(4).hash(), T0.plusSeconds(3), T0.plus(Duration.ofHours(2)));
      clock.advance(Duration.ofMinutes(5));
      int live = store.liveCount();
      store.compact();
      assertEquals(live, store.liveCount());
      before = contents(store, all);
      assertEquals(live, before.size(), "compaction forgets revoked and expired records");
    }
    try (FileTokenStore reopened = open()) {
      Map<TokenHash, TokenRecord> after = contents(reopened, all);
      assertEquals(before, after);
      assertEquals(T0.plus(Duration.ofHours(2)),
          after.get(all.get(4).hash()).session().expiresAt());
    }
  }

  @Test
  void compactionThreshold_exceeded_compactsInBackground_andReopenKeepsEverything()
      throws IOException {
    List<TokenRecord> saved = new ArrayList<>();
    try (FileTokenStore store = FileTokenStore.builder()
        .directory(dir()).clock(clock).compactionThreshold(2_000).build()) {
      for (int i = 0; i < 200; i++) {
        TokenRecord record = record("user" + (i % 7));
        store.save(record);
        saved.add(record);
        if (i % 5 == 0) {
          store.revoke(record.hash(), T0.plusSeconds(i));
        }
      }
    } // close waits for a running compaction
    try (Stream<Path> files = Files.list(dir())) {
      assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("snapshot-")));
    }
    try (FileTokenStore reopened = open()) {
      for (int i = 0; i < saved.size(); i++) {
        var found = reopened.find(saved.get(i).hash());
        if (i % 5 == 0) {
          assertTrue(found.isEmpty() || found.get().isRevoked(), "revoked stays revoked");
        } else {
          assertEquals(saved.get(i), found.orElseThrow());
        }
      }
    }
  }

  @Test
  void touch_manyUses_writeNothingUntilFlushed_thenSurviveClose() throws IOException {
    TokenRecord record = record("alice");
    try (FileTokenStore store = open()) {
      store.save(record);
      long size = logBytes();
      for (int i = 1; i <= 100; i++) {
        store.touch(record.hash(), T0.plusSeconds(i), record.session().expiresAt().plusSeconds(i));
      }
      assertEquals(size, logBytes(), "touches are coalesced in memory");
    }
    try (FileTokenStore reopened = open()) {
      assertEquals(T0.plusSeconds(100),
          reopened.find(record.hash()).orElseThrow().session().lastUsedAt());
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
      store.save(record("alice"));
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
    List<String> warnings = CapturedLogs.lines(Level.WARN, dir().toString());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("chmod 700"), warnings.get(0));
  }

  @Test
  void open_logsOneInfoLineWithCountDirectoryAndTime() {
    try (FileTokenStore store = open()) {
      store.save(record("alice"));
      store.save(record("bob"));
    }
    open().close();
    List<String> lines = CapturedLogs.lines(Level.INFO, "Opened token store " + dir());
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(1).contains("2 live tokens") && lines.get(1).contains(" ms"),
        lines.get(1));
  }

  @Test
  void files_afterIssuingRevokingAndCompacting_holdNoSecret() throws IOException {
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
      String body = secret.substring(3, 46); // the base64url random part
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
    TokenRecord kept = record("alice");
    try (FileTokenStore store = FileTokenStore.builder().directory(dir()).disk(disk).build()) {
      store.save(kept);
      disk.failForces();
      StoreUnavailableException first =
          assertThrows(StoreUnavailableException.class, () -> store.save(record("bob")));
      assertTrue(first.getMessage().contains("refuses writes"), first.getMessage());
      int forces = disk.forces();
      assertThrows(StoreUnavailableException.class, () -> store.save(record("carol")));
      assertThrows(StoreUnavailableException.class, () -> store.revoke(kept.hash(), T0));
      assertThrows(StoreUnavailableException.class, store::compact);
      assertEquals(forces, disk.forces(), "a failed fsync is never retried");
      assertEquals(kept, store.find(kept.hash()).orElseThrow(), "reads still work");
      assertThrows(StoreUnavailableException.class, store::close);
    }
    try (FileTokenStore reopened = open()) {
      assertEquals(kept, reopened.find(kept.hash()).orElseThrow());
    }
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
    assertThrows(IllegalArgumentException.class,
        () -> FileTokenStore.builder().compactionThreshold(0));
    assertThrows(NullPointerException.class, () -> FileTokenStore.builder().directory(null));
    assertThrows(IllegalStateException.class, () -> FileTokenStore.builder().build());
  }
}
