package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The database goes away, by shutting down or by hanging, and comes back: every call fails with
 * {@link StoreUnavailableException} (so the filter answers 503) within the configured timeouts,
 * never passes and never hangs, and the store serves again by itself once the database does.
 */
class JdbcOutageTest {

  /** Far above the 1 s statement, 2 s connect and 3 s socket timeouts: only a hang reaches it. */
  private static final Duration HANG = Duration.ofSeconds(20);
  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");

  private PostgresServer server;
  private TestPool pool;
  private JdbcTokenStore store;
  private TokenService tokens;

  @BeforeEach
  void start() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(
        server.url("connectTimeout=2&loginTimeout=3&socketTimeout=3&tcpKeepAlive=true"));
    store = JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true)
        .statementTimeout(Duration.ofSeconds(1)).build();
    tokens = TokenService.builder().store(store).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (store != null) {
      try {
        store.close();
      } catch (StoreUnavailableException ignored) {
        // Touches owed to a server that is gone.
      }
    }
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void databaseDown_everyCallFailsUnavailable_neverHangs_thenServesAgainWhenItIsBack()
      throws Exception {
    IssuedToken token = tokens.issue("alice", "laptop");
    IssuedPair pair = tokens.issuePair("alice", "phone", CLIENT);
    server.stop();

    assertUnavailable(() -> tokens.authenticate(token.plaintext()));
    assertUnavailable(() -> tokens.issue("alice", "tablet"));
    assertUnavailable(() -> tokens.refresh(pair.refreshPlaintext(), CLIENT));
    assertUnavailable(() -> tokens.revoke(token.plaintext()));
    assertUnavailable(() -> tokens.revokeAll("alice"));

    server.startServer();
    JdbcCrashTest.awaitServing(() -> tokens.sessions("alice"));
    assertTrue(tokens.authenticate(token.plaintext()).isAuthenticated());
    assertTrue(tokens.refresh(pair.refreshPlaintext(), CLIENT).isRefreshed());
    assertTrue(tokens.revoke(token.plaintext()));
  }

  @Test
  void databaseHangs_callsFailUnavailableWithinTheTimeouts_thenServeAgainWhenItResumes()
      throws Exception {
    IssuedToken token = tokens.issue("alice", "laptop");
    List<Long> frozen = serverProcesses();
    signal("STOP", frozen);
    try {
      assertUnavailable(() -> tokens.authenticate(token.plaintext()));
      assertUnavailable(() -> tokens.revoke(token.plaintext()));
    } finally {
      signal("CONT", frozen);
    }
    JdbcCrashTest.awaitServing(() -> tokens.sessions("alice"));
    assertTrue(tokens.authenticate(token.plaintext()).isAuthenticated());
  }

  private static void assertUnavailable(Executable call) {
    assertTimeoutPreemptively(HANG, () -> assertThrows(StoreUnavailableException.class, call));
  }

  /** The postmaster (first line of its pid file) and every process it started. */
  private List<Long> serverProcesses() throws IOException {
    Path pidFile = Files.list(Path.of(System.getProperty("java.io.tmpdir")))
        .map(dir -> dir.resolve("data").resolve("postmaster.pid"))
        .filter(Files::exists)
        .filter(this::isOurs)
        .findFirst().orElseThrow();
    long postmaster = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
    List<Long> pids = new ArrayList<>();
    pids.add(postmaster);
    ProcessHandle.of(postmaster).orElseThrow().descendants()
        .forEach(child -> pids.add(child.pid()));
    return pids;
  }

  private boolean isOurs(Path pidFile) {
    try {
      List<String> lines = Files.readAllLines(pidFile);
      return lines.size() > 3 && lines.get(3).strip().equals(Integer.toString(server.port()));
    } catch (IOException e) {
      return false;
    }
  }

  private static void signal(String signal, List<Long> pids) throws Exception {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    pids.forEach(pid -> command.add(Long.toString(pid)));
    Process kill = new ProcessBuilder(command).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " failed");
    }
  }
}
