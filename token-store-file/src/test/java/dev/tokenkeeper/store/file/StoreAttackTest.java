package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile tests: try to bring back a logged-out token, lose an acknowledged login, find a secret
 * on disk, or make a hostile input hang or crash the open. A test that fails here is a broken
 * promise, not a flaky test; each named once broken says so, with the fix.
 */
class StoreAttackTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));

  private Path dir() {
    return tmp.resolve("store");
  }

  private Path legacyFile() {
    return tmp.resolve("backend").resolve("auth_tokens.json");
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir()).clock(clock).build();
  }

  private FileTokenStore openImporting(Path legacy) {
    return FileTokenStore.builder().directory(dir()).clock(clock).importLegacy(legacy).build();
  }

  private TokenService service(FileTokenStore store) {
    return TokenService.builder().store(store).clock(clock).acceptLegacyTokens().build();
  }

  private static String legacyToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private String legacyJson(String... tokens) {
    LocalDateTime now = LocalDateTime.ofInstant(clock.instant(), clock.getZone());
    StringBuilder json = new StringBuilder("{");
    for (int i = 0; i < tokens.length; i++) {
      json.append(i == 0 ? "" : ",").append('"').append(tokens[i]).append("\": {\"username\": \"")
          .append("user").append(i).append("\", \"created_at\": \"").append(now.minusDays(1))
          .append("\", \"expires_at\": \"").append(now.plusDays(365)).append("\"}");
    }
    return json.append('}').toString();
  }

  private Path writeLegacy(String json) throws IOException {
    Files.createDirectories(legacyFile().getParent());
    return Files.writeString(legacyFile(), json);
  }

  private static AuthResult.Reason rejected(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result, result.toString()).reason();
  }

  // ---- 1. An acknowledged logout is final ----

  /**
   * Format 2: import, log out, let the session expire and be compacted away, then ship the same
   * file again and a backup with different contents. Neither may bring the token back.
   */
  @Test
  void legacy_loggedOut_compactedAway_thenReshipped_sameOrBackup_staysDead() throws IOException {
    String victim = legacyToken();
    String other = legacyToken();
    String json = legacyJson(victim, other);
    writeLegacy(json);
    try (FileTokenStore store = openImporting(legacyFile())) {
      TokenService tokens = service(store);
      assertTrue(tokens.authenticate(victim).isAuthenticated());
      assertTrue(tokens.revoke(victim));
      assertFalse(Files.exists(legacyFile()), "raw tokens deleted after import");
    }
    clock.advance(Duration.ofDays(8)); // past the 7-day cap: the revoked session is purgeable
    try (FileTokenStore store = open()) {
      store.compact();
    }
    assertEquals(StoreTool.OK, StoreTool.run(new String[] {"compact", dir().toString()},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
        clock));
    // Same file shipped again (an image), then a backup with different contents.
    writeLegacy(json);
    try (FileTokenStore store = openImporting(legacyFile())) {
      assertEquals(AuthResult.Reason.UNKNOWN, rejected(service(store).authenticate(victim)));
      assertFalse(Files.exists(legacyFile()), "same file deleted unread");
    }
    writeLegacy(legacyJson(other, victim) + "\n");
    try (FileTokenStore store = openImporting(legacyFile())) {
      assertEquals(AuthResult.Reason.UNKNOWN, rejected(service(store).authenticate(victim)));
    }
  }

  /**
   * Upgrade path. The previous release (791e52b) imported auth_tokens.json by renaming it to
   * auth_tokens.json.imported and told the operator to "delete it once the migration is
   * confirmed"; it recorded nothing in the store, and its compaction forgot revoked tokens before
   * their expiry (the fixture's "compactedAway" token shows it). So an upgraded store holds no
   * import record and, for a logged-out legacy token, no tombstone either. A backup of
   * auth_tokens.json shipped after the upgrade is then imported as if for the first time, and the
   * logged-out token works again.
   *
   * <p>The fixture is the real format 1 store written by that release. The victim legacy token
   * stands for one that release imported, the user logged out and its compaction dropped: the
   * store holds nothing of it, exactly as it holds nothing of "compactedAway".
   */
  @Test
  void upgradedV1Store_backupLegacyFileReshipped_isNotImported_loggedOutTokenStaysDead() throws IOException {
    Properties fixture = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/v1-store.properties")) {
      fixture.load(in);
    }
    MutableClock v1Clock = new MutableClock(Instant.parse(fixture.getProperty("now"))
        .plusSeconds(60));
    Files.createDirectories(dir());
    for (String name : List.of("snapshot-0000000002", "log-0000000002")) {
      try (InputStream in = getClass().getResourceAsStream("/v1-store/" + name)) {
        Files.copy(in, dir().resolve(name));
      }
    }
    String compactedAway = fixture.getProperty("compactedAway");
    String victim = legacyToken(); // imported by 791e52b, logged out, compacted away
    // The operator's backup of the origin system's file, expiring far in the future.
    LocalDateTime now = LocalDateTime.ofInstant(v1Clock.instant(), ZoneOffset.UTC);
    Files.createDirectories(legacyFile().getParent());
    Files.writeString(legacyFile(), "{\"" + victim + "\": {\"username\": \"mallory-victim\", "
        + "\"created_at\": \"" + now.minusDays(30) + "\", \"expires_at\": \""
        + now.plusDays(365) + "\"}}");
    try (FileTokenStore store = FileTokenStore.builder().directory(dir())
        .clock(v1Clock).importLegacy(legacyFile()).build()) {
      TokenService tokens = TokenService.builder().store(store).clock(v1Clock)
          .acceptLegacyTokens().build();
      assertEquals(AuthResult.Reason.UNKNOWN, rejected(tokens.authenticate(compactedAway)),
          "format 1 compaction dropped a revoked token before its expiry");
      AuthResult result = tokens.authenticate(victim);
      assertFalse(result.isAuthenticated(), "BROKEN: a legacy token logged out under the "
          + "previous release is live again after the upgrade and a re-shipped backup: " + result);
    }
  }

  /** Revoke, kill the writer (abandon), compact, StoreTool compact and repair: stays revoked. */
  @Test
  void revoke_thenCrash_compact_toolCompactAndRepair_staysRevoked() throws IOException {
    IssuedToken single;
    IssuedPair pair;
    IssuedPair bobPair;
    FileTokenStore store = open();
    TokenService tokens = service(store);
    single = tokens.issue("alice", "laptop");
    pair = tokens.issuePair("alice", "phone", CLIENT);
    bobPair = tokens.issuePair("bob", "phone", CLIENT);
    for (int i = 0; i < 50; i++) {
      tokens.issue("filler" + i);
    }
    assertEquals(2, tokens.revokeAll("alice"));
    assertTrue(tokens.revoke(bobPair.access().plaintext()));
    store.abandon(); // a crash right after the acknowledgement
    try (FileTokenStore reopened = open()) {
      reopened.compact();
    }
    for (String command : List.of("compact", "repair", "compact")) {
      StoreTool.run(new String[] {command, dir().toString()},
          new PrintStream(new ByteArrayOutputStream()),
          new PrintStream(new ByteArrayOutputStream()), clock);
    }
    try (FileTokenStore reopened = open()) {
      TokenService again = service(reopened);
      assertEquals(AuthResult.Reason.REVOKED, rejected(again.authenticate(
          single.plaintext())));
      assertEquals(AuthResult.Reason.REVOKED, rejected(again.authenticate(
          pair.access().plaintext())));
      assertFalse(again.refresh(pair.refreshPlaintext(), CLIENT).isRefreshed());
      assertFalse(again.refresh(bobPair.refreshPlaintext(), CLIENT).isRefreshed());
    }
  }

  // ---- 2. One chain per session / reuse is detected ----

  @Test
  void rotatedRefresh_afterGrace_compactionAndRestart_isReused_withinGraceSamePairAcrossRestart() {
    IssuedPair first;
    IssuedPair second;
    try (FileTokenStore store = open()) {
      TokenService tokens = service(store);
      first = tokens.issuePair("carol", "tablet", CLIENT);
      clock.advance(Duration.ofSeconds(5));
      second = assertInstanceOf(RefreshResult.Refreshed.class,
          tokens.refresh(first.refreshPlaintext(), CLIENT)).pair();
      store.abandon();
    }
    clock.advance(Duration.ofSeconds(3)); // still within grace
    try (FileTokenStore store = open()) {
      TokenService tokens = service(store);
      IssuedPair retry = assertInstanceOf(RefreshResult.Refreshed.class,
          tokens.refresh(first.refreshPlaintext(), CLIENT)).pair();
      assertEquals(second.refreshPlaintext(), retry.refreshPlaintext(),
          "a retry within grace gets the same pair across a restart");
      assertEquals(second.access().plaintext(), retry.access().plaintext());
      store.compact();
    }
    clock.advance(Duration.ofSeconds(30));
    try (FileTokenStore store = open()) {
      store.compact();
    }
    try (FileTokenStore store = open()) {
      TokenService tokens = service(store);
      assertEquals(AuthResult.Reason.REUSED, assertInstanceOf(RefreshResult.Rejected.class,
          tokens.refresh(first.refreshPlaintext(), CLIENT)).reason());
      assertEquals(AuthResult.Reason.REVOKED, rejected(
          tokens.authenticate(second.access().plaintext())), "the thief's chain ended");
    }
    try (FileTokenStore store = open()) {
      assertFalse(service(store).refresh(second.refreshPlaintext(), CLIENT).isRefreshed(),
          "reuse revocation survives restart");
    }
  }

  // ---- 4. No secret in the clear ----

  @Test
  void noRawTokenBytes_inStoreDirectory_orNextToLegacyFile() throws IOException {
    String legacy = legacyToken();
    writeLegacy(legacyJson(legacy));
    List<String> secrets = new ArrayList<>();
    secrets.add(legacy);
    try (FileTokenStore store = openImporting(legacyFile())) {
      TokenService tokens = service(store);
      IssuedPair pair = tokens.issuePair("dave", "phone", CLIENT);
      IssuedToken single = tokens.issue("dave", "laptop");
      clock.advance(Duration.ofSeconds(2));
      IssuedPair next = assertInstanceOf(RefreshResult.Refreshed.class,
          tokens.refresh(pair.refreshPlaintext(), CLIENT)).pair();
      tokens.authenticate(single.plaintext());
      secrets.addAll(List.of(pair.refreshPlaintext(), pair.access().plaintext(),
          single.plaintext(), next.refreshPlaintext(), next.access().plaintext()));
      store.compact();
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(tmp)) {
      walk.filter(Files::isRegularFile).forEach(files::add);
    }
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      String latin = new String(bytes, StandardCharsets.ISO_8859_1);
      for (String secret : secrets) {
        assertFalse(latin.contains(secret), file + " holds a raw token");
        // A legacy token is the 43 characters alone; an issued one adds a prefix and a checksum.
        String body = secret.length() > 43
            ? secret.substring(secret.indexOf('_') + 1, secret.indexOf('_') + 44) : secret;
        byte[] raw = Base64.getUrlDecoder().decode(body);
        assertFalse(latin.contains(new String(raw, StandardCharsets.ISO_8859_1)),
            file + " holds a token's random bytes");
        String fingerprintless = TokenHash.sha256(secret).toString();
        assertFalse(fingerprintless.contains(secret));
      }
    }
  }

  // ---- 5. Bad inputs ----

  /**
   * A legacy file over 2 GiB (sparse here, so the test is cheap): Files.readAllBytes throws
   * OutOfMemoryError, which FileTokenStore.open does not catch (IOException | RuntimeException
   * only), so the directory lock and the log stay held by a half-opened store.
   */
  @Test
  void hugeLegacyFile_isARefusal_notAnOutOfMemoryError_andLeavesTheStoreOpenable()
      throws IOException {
    try (FileTokenStore store = open()) {
      service(store).issue("erin");
    }
    Files.createDirectories(legacyFile().getParent());
    try (RandomAccessFile file = new RandomAccessFile(legacyFile().toFile(), "rw")) {
      file.setLength((1L << 31) + 16);
    }
    Throwable thrown = null;
    try {
      openImporting(legacyFile()).close();
    } catch (Throwable t) {
      thrown = t;
    }
    Files.delete(legacyFile());
    // Whatever it threw, the directory must not stay locked by a store nobody holds.
    try (FileTokenStore store = open()) {
      assertEquals(1, store.liveCount());
    } catch (StoreLockedException locked) {
      fail("BROKEN: after the huge legacy file (" + thrown + ") the directory stays locked "
          + "in this JVM: " + locked.getMessage());
    }
    assertTrue(thrown instanceof StoreCorruptedException
            || thrown instanceof StoreUnavailableException,
        "BROKEN: a huge legacy file must be a typed refusal, got " + thrown);
  }

  @Test
  void hostileLegacyJson_isATypedRefusal_andFileLeftAsIs() throws IOException {
    String nested = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    String t = legacyToken();
    List<String> hostile = List.of(
        nested,
        "[" + "{".repeat(5000),
        "{\"" + t + "\": [1,2,3]}",
        "{\"" + t + "\": {\"username\": 7, \"created_at\": \"2026-01-01T00:00\", "
            + "\"expires_at\": \"2027-01-01T00:00\"}}",
        "{\"" + t + "\": {\"username\": \"u\", \"created_at\": \"2026-01-01T00:00\", "
            + "\"expires_at\": \"2027-01-01T00:00\"}, \"" + t + "\": {\"username\": \"v\", "
            + "\"created_at\": \"2026-01-01T00:00\", \"expires_at\": \"2027-01-01T00:00\"}}",
        "{\"" + t + "\": {\"username\": \"u\", \"created_at\": \"+999999999-12-31T23:59:59\", "
            + "\"expires_at\": \"+999999999-12-31T23:59:59\"}}",
        "{\"" + t + "\": {\"username\": \"u\\u0000x\", \"created_at\": \"2026-01-01T00:00\", "
            + "\"expires_at\": \"2027-01-01T00:00\"}}",
        "{\"" + t + "\": {\"username\": \"" + "u".repeat(300) + "\", \"created_at\": "
            + "\"2026-01-01T00:00\", \"expires_at\": \"2027-01-01T00:00\"}}",
        "\u0000\u0000\u0000",
        "null");
    for (String json : hostile) {
      writeLegacy(json);
      long started = System.nanoTime();
      try {
        openImporting(legacyFile()).close();
        // A clean open is fine only if nothing hostile got in.
      } catch (StoreCorruptedException | StoreUnavailableException expected) {
        assertFalse(expected.getMessage().contains(t), "message quotes a raw token");
        assertTrue(Files.exists(legacyFile()), "a refused file is left as it is");
      } catch (Throwable other) {
        fail("BROKEN: hostile legacy JSON " + json.substring(0, Math.min(40, json.length()))
            + " threw " + other);
      }
      assertTrue(System.nanoTime() - started < 5_000_000_000L, "took too long");
      if (Files.exists(legacyFile())) {
        Files.delete(legacyFile());
      }
    }
    // Far-future expiry is capped: open with a token whose file says year 999999999.
    writeLegacy("{\"" + t + "\": {\"username\": \"u\", \"created_at\": \"2026-01-01T00:00\", "
        + "\"expires_at\": \"+999999999-12-31T23:59:59\"}}");
    try (FileTokenStore store = FileTokenStore.builder().directory(tmp.resolve("capped"))
        .clock(clock).importLegacy(legacyFile()).build()) {
      Instant end = store.find(TokenHash.sha256(t)).orElseThrow().session().session().expiresAt();
      assertFalse(end.isAfter(clock.instant().plus(Duration.ofDays(7))), "expiry capped");
    }
  }
}
