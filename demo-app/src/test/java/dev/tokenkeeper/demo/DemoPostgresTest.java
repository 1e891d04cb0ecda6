package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.store.jdbc.PostgresServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two demo instances on one PostgreSQL database ({@code --store postgresql://...}), as two app
 * servers behind a load balancer: a token issued by one works on the other, a logout everywhere
 * on one holds on the other at once, and a database outage answers 503 within the five
 * seconds, then heals by itself.
 */
class DemoPostgresTest {

  /** The stated bound for an answer while the database is down. */
  private static final Duration OUTAGE_ANSWER = Duration.ofSeconds(5);

  @TempDir Path temp;

  private PostgresServer postgres;
  private DemoServer first;
  private DemoServer second;

  @BeforeEach
  void start() throws Exception {
    postgres = PostgresServer.start();
    first = startDemo("a");
    second = startDemo("b");
  }

  private DemoServer startDemo(String name) throws Exception {
    // The test database trusts its user: no password, and none taken from this process's env.
    return DemoServer.start(new DemoOptions(0, "127.0.0.1", temp.resolve(name), postgres.uri(),
        false), Clock.systemUTC(), Map.of(), Accounts::verify);
  }

  @AfterEach
  void stop() {
    SharedStoreChecks.closeAll(first, second, postgres);
  }

  @Test
  void tokenFromOneInstance_worksOnTheOther_andLogoutEverywhereHoldsOnBoth() {
    SharedStoreChecks.tokensWorkOnBoth_andLogoutEverywhereHoldsOnBoth(first, second);
  }

  @Test
  void metrics_showTheConnectionPoolAndTheStoreCalls() {
    DemoClient a = new DemoClient(first.uri());
    String token = a.token("alice@example.com", "wonderland");
    assertEquals(200, a.send("GET", "/api/proposals", token, null).statusCode());
    String page = a.send("GET", "/metrics", null, null).body();
    // HikariCP's own meters, tagged with the pool's name.
    assertTrue(page.contains("hikaricp_connections_active{pool=\"tokenkeeper\"}"), page);
    assertTrue(page.contains("tokenkeeper_store_operations_seconds_count"
        + "{operation=\"find\",outcome=\"success\"} 1"), page);
  }

  @Test
  void databaseDown_answers503WithinFiveSeconds_andServesAgainWhenItReturns() throws Exception {
    DemoClient a = new DemoClient(first.uri());
    String token = a.token("alice@example.com", "wonderland");
    assertEquals(200, a.send("GET", "/api/proposals", token, null).statusCode());
    postgres.crash();

    long startedAt = System.nanoTime();
    HttpResponse<String> down = a.send("GET", "/api/proposals", token, null);
    Duration took = Duration.ofNanos(System.nanoTime() - startedAt);
    assertEquals(503, down.statusCode());
    assertTrue(took.compareTo(OUTAGE_ANSWER) < 0, "503 took " + took);
    assertEquals(503, a.login("bob@example.com", "builder").statusCode());

    postgres.startServer();
    // The pool drops its dead connections and opens new ones by itself; no call resets it. The
    // committed login survived the crash.
    assertEquals(200, firstAnswerWithin(Duration.ofSeconds(30),
        () -> a.send("GET", "/api/proposals", token, null).statusCode()));
    assertEquals(200, a.login("bob@example.com", "builder").statusCode());
  }

  /** The first answer other than 503, polling until {@code limit}; 503 if none came. */
  private static int firstAnswerWithin(Duration limit, IntSupplier request) {
    long deadline = System.nanoTime() + limit.toNanos();
    int status;
    do {
      status = request.getAsInt();
    } while (status == 503 && System.nanoTime() < deadline);
    return status;
  }
}
