package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/**
 * Opens a store written by the previous release (format 1), as it left it on disk: the fixture in
 * {@code src/test/resources/v1-store} was made by that release's code (commit 791e52b, running
 * {@code v1-store-generator.java.txt}): a snapshot and a log holding issued, used, revoked,
 * revoked-everywhere, paired and refreshed tokens. The plaintexts it printed are in
 * {@code v1-store.properties}; they open nothing outside this test.
 */
class V1UpgradeTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final List<String> FILES = List.of("snapshot-0000000002", "log-0000000002");

  @TempDir
  Path tmp;

  private final Properties tokens = new Properties();
  private MutableClock clock;
  private Path dir;

  @BeforeEach
  void copyFixture() throws IOException {
    dir = tmp.resolve("store");
    tokens.putAll(StoreFixture.copy("v1-store", FILES, dir));
    clock = new MutableClock(Instant.parse(tokens.getProperty("now")).plusSeconds(60));
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).clock(clock).build();
  }

  private TokenService service(FileTokenStore store) {
    return TokenService.builder().store(store).clock(clock)
        .absoluteTtl(Duration.ofDays(7)).idleTimeout(Duration.ofDays(2)).build();
  }

  private String token(String name) {
    return tokens.getProperty(name);
  }

  @Test
  void open_previousFormat_authenticatesWhatWasLive_refusesWhatWasRevoked() {
    try (FileTokenStore store = open()) {
      assertEquals(Instant.parse(tokens.getProperty("single.live.lastUsed")),
          store.find(TokenHash.sha256(token("single.live"))).orElseThrow()
              .session().session().lastUsedAt(), "the last use was kept");
      TokenService service = service(store);
      assertTrue(service.authenticate(token("single.live")).isAuthenticated());
      assertEquals(AuthResult.Reason.EXPIRED, rejected(service.authenticate(
          token("pair.access"))), "a paired access token keeps its own short expiry");
      assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(
          token("single.revoked"))));
      for (String revoked : List.of("revokedAll.1", "revokedAll.2")) {
        assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(token(revoked))));
      }
      assertEquals(AuthResult.Reason.UNKNOWN, rejected(service.authenticate(
          token("compactedAway"))), "the previous release had already forgotten it");
    }
  }

  @Test
  void open_previousFormat_refreshesTheCurrentToken_andAnOldRotatedOneIsReuse() {
    try (FileTokenStore store = open()) {
      TokenService service = service(store);
      RefreshResult next = service.refresh(token("pair.refresh"), CLIENT);
      assertTrue(next.isRefreshed(), next.toString());
      assertEquals(AuthResult.Reason.REUSED,
          assertInstanceOf(RefreshResult.Rejected.class,
              service.refresh(token("rotated.oldRefresh"), CLIENT)).reason());
      assertEquals(AuthResult.Reason.REVOKED,
          assertInstanceOf(RefreshResult.Rejected.class,
              service.refresh(token("rotated.refresh"), CLIENT)).reason(),
          "reuse ends the session the old token belonged to");
    }
  }

  @Test
  void open_previousFormat_isUpgradedInPlace_toTheCurrentFormat_once() throws IOException {
    open().close();
    List<String> upgraded = CapturedLogs.texts(Level.INFO, "Upgraded token store " + dir);
    assertEquals(1, upgraded.size(), upgraded.toString());
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> !p.getFileName().toString().equals("LOCK")).toList()) {
        byte[] header = Arrays.copyOf(Files.readAllBytes(file), Frames.HEADER);
        assertEquals(Frames.VERSION, header[Frames.HEADER - 1], file + " is in the current format");
        assertFalse(FILES.contains(file.getFileName().toString()), "old file left: " + file);
      }
    }
    try (FileTokenStore store = open()) {
      assertTrue(service(store).authenticate(token("single.live")).isAuthenticated());
    }
    assertEquals(1, CapturedLogs.texts(Level.INFO, "Upgraded token store " + dir).size());
  }

  @Test
  void open_crashDuringTheUpgrade_leavesTheOldFilesWhole_andUpgradesNextTime()
      throws IOException {
    byte[][] before = new byte[FILES.size()][];
    for (int i = 0; i < FILES.size(); i++) {
      before[i] = Files.readAllBytes(dir.resolve(FILES.get(i)));
    }
    FaultyDisk disk = new FaultyDisk();
    disk.failAfter(2);
    try {
      FileTokenStore.builder().directory(dir).clock(clock).disk(disk).build().close();
    } catch (RuntimeException expected) {
      // the injected failure, mid-upgrade
    }
    if (!Files.exists(dir.resolve("snapshot-0000000003"))) {
      for (int i = 0; i < FILES.size(); i++) {
        assertArrayEquals(before[i], Files.readAllBytes(dir.resolve(FILES.get(i))));
      }
    }
    try (FileTokenStore store = open()) {
      assertTrue(service(store).authenticate(token("single.live")).isAuthenticated());
      assertFalse(service(store).authenticate(token("single.revoked")).isAuthenticated());
    }
  }

  @Test
  void storeTool_previousFormat_checkAndStatsReadIt_compactUpgradesIt() {
    assertEquals(StoreTool.OK, tool("check"));
    assertTrue(out.contains("format 1"), out);
    assertEquals(StoreTool.OK, tool("stats"));
    assertTrue(out.contains("format 1\nlive 3\nexpired 0\nrevoked 3\n"), out);
    assertTrue(out.contains("rotated 1\n"), out);
    assertEquals(StoreTool.OK, tool("compact"));
    assertEquals(StoreTool.OK, tool("stats"));
    assertTrue(out.contains("format " + Frames.VERSION + "\nlive 3\nexpired 0\nrevoked 3\n"),
        out);
  }

  private String out;

  private int tool(String command) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    int status = StoreTool.run(new String[] {command, dir.toString()},
        new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), clock);
    out = stdout.toString(StandardCharsets.UTF_8);
    return status;
  }

  private static AuthResult.Reason rejected(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }
}
