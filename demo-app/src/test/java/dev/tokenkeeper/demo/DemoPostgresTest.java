package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.store.jdbc.PostgresServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two demo instances on one PostgreSQL database ({@code --store postgresql://...}), as two app
 * servers behind a load balancer: a token issued by one works on the other, a logout everywhere
 * on one holds on the other at once, and while the database is down or hangs both answer 503
 * within five seconds, then heal by themselves when it is back.
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
  void databaseDown_bothInstancesAnswer503WithinFiveSeconds_andServeAgainWhenItReturns()
      throws Exception {
    outage(postgres::crash, postgres::startServer);
  }

  @Test
  void databaseHangs_bothInstancesAnswer503WithinFiveSeconds_andServeAgainWhenItResumes()
      throws Exception {
    outage(postgres::pause, postgres::resume);
  }

  /** A change to the database server, as the test makes it. */
  private interface ServerStep {
    void run() throws Exception;
  }

  /**
   * While the database is out ({@code fail} to {@code heal}) both instances answer a request
   * with a token and a login with 503 within {@link #OUTAGE_ANSWER}: never a pass, never a
   * hang. Then, with no call to reset anything, both serve again: logins committed before the
   * outage work on either instance, and new logins succeed.
   */
  private void outage(ServerStep fail, ServerStep heal) throws Exception {
    List<DemoClient> clients = List.of(new DemoClient(first.uri()), new DemoClient(second.uri()));
    List<String> tokens = new ArrayList<>();
    for (DemoClient client : clients) {
      tokens.add(client.token("alice@example.com", "wonderland"));
    }
    for (DemoClient client : clients) {
      for (String token : tokens) {
        assertEquals(200, client.send("GET", "/api/proposals", token, null).statusCode());
      }
    }
    fail.run();
    try {
      for (DemoClient client : clients) {
        assert503Within(OUTAGE_ANSWER,
            () -> client.send("GET", "/api/proposals", tokens.get(0), null));
        assert503Within(OUTAGE_ANSWER, () -> client.login("bob@example.com", "builder"));
      }
    } finally {
      heal.run();
    }
    // The pools drop their dead connections and open new ones by themselves.
    for (DemoClient client : clients) {
      for (String token : tokens) {
        assertEquals(200, firstAnswerWithin(Duration.ofSeconds(30),
            () -> client.send("GET", "/api/proposals", token, null).statusCode()));
      }
      assertEquals(200, client.login("bob@example.com", "builder").statusCode());
    }
  }

  private static void assert503Within(Duration limit, Supplier<HttpResponse<String>> request) {
    long startedAt = System.nanoTime();
    HttpResponse<String> response = request.get();
    Duration took = Duration.ofNanos(System.nanoTime() - startedAt);
    assertEquals(503, response.statusCode(), response.body());
    assertTrue(took.compareTo(limit) < 0, "503 took " + took);
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
