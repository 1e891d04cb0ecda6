package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The login limits from outside: real threads racing real HTTP requests at a real server, and a
 * count of the real password checks (PBKDF2) they cause.
 */
class DemoLoginLimitTest {

  private static final String LOGIN = "{\"username\":\"alice@example.com\",\"password\":\"%s\"}";

  @TempDir Path dataDir;

  private final AtomicInteger checks = new AtomicInteger();
  private DemoServer server;
  private DemoClient client;

  private void start(DemoOptions options) throws Exception {
    server = DemoServer.start(options, Clock.systemUTC(), Map.of(), (user, password) -> {
      checks.incrementAndGet();
      return Accounts.verify(user, password);
    });
    client = new DemoClient(server.uri());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> login(String password, String... headers) {
    return client.send("POST", "/auth/login", null, String.format(LOGIN, password),
        "test-client", headers);
  }

  @ParameterizedTest(name = "{0} parallel logins")
  @ValueSource(ints = {16, 64})
  void wrongPasswords_inParallel_makeAtMostTheLimitsRealChecks(int threads) throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false));

    List<Integer> statuses = Concurrently.run(threads, t -> login("guess-" + t).statusCode());

    System.out.println("parallel wrong logins: threads=" + threads + " password checks="
        + checks.get() + " limit=" + LoginGuard.PER_USER_ADDRESS);
    assertTrue(checks.get() <= LoginGuard.PER_USER_ADDRESS, "checks: " + checks.get());
    assertEquals(checks.get(), statuses.stream().filter(s -> s == 401).count());
    assertEquals(threads - checks.get(), statuses.stream().filter(s -> s == 429).count());
  }

  @Test
  void provenDevice_logsInWhileTheUserIsAttackedFromElsewhere() throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false, List.of("127.0.0.1"), null,
        false, SessionCap.DEFAULT_MAX));
    HttpResponse<String> first = login("wonderland", "X-Forwarded-For", "198.51.100.1");
    assertEquals(200, first.statusCode());
    String cookie = first.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];

    // An attacker guessing from many addresses, a few guesses each.
    for (int i = 0; i < 40; i++) {
      login("guess-" + i, "X-Forwarded-For", "203.0.113." + i);
    }
    HttpResponse<String> stranger = login("wonderland", "X-Forwarded-For", "192.0.2.50");
    assertEquals(429, stranger.statusCode(), "the user must be under throttling for this test");

    HttpResponse<String> owner =
        login("wonderland", "X-Forwarded-For", "198.51.100.1", "Cookie", cookie);
    assertEquals(200, owner.statusCode(), owner.body());
  }

  @Test
  void refreshFailures_doNotSpendLoginAttempts() throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false));
    for (int i = 0; i < AuthServlet.REFRESH_FAILURES + 5; i++) {
      client.send("POST", "/auth/refresh", null, "{\"refresh_token\":\"tkr_expired" + i + "\"}");
    }

    assertEquals(200, login("wonderland").statusCode());
  }

  @Test
  void forgedDeviceCookie_isNoProof() throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false));
    for (int i = 0; i < LoginGuard.PER_USER_ADDRESS; i++) {
      assertEquals(401, login("guess-" + i).statusCode());
    }

    assertEquals(429, login("wonderland", "Cookie", "tk_device=v1.AAAA.BBBB").statusCode());
  }
}
