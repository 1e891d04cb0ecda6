package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} on the real demo (Jetty on a real port, a real HTTP client): counters that
 * move by exactly what clients did, and a page only this host may read.
 */
class DemoMetricsTest {

  @TempDir Path dataDir;

  private final MutableClock clock = MutableClock.startingAt2026();
  private DemoServer server;
  private DemoClient client;

  private void start(DemoOptions options) throws Exception {
    server = DemoServer.start(options, clock);
    client = new DemoClient(server.uri());
  }

  private void start() throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** Every {@code tokenkeeper_*_total} series of a Prometheus page, {@code name{labels}} to value. */
  static Map<String, Double> counters(String page) {
    return series(page, name -> name.startsWith("tokenkeeper_") && name.endsWith("_total"));
  }

  /** The series of a Prometheus page whose name {@code wanted} takes, {@code name{labels}} to value. */
  static Map<String, Double> series(String page, Predicate<String> wanted) {
    Map<String, Double> series = new TreeMap<>();
    for (String line : page.split("\n")) {
      int space = line.lastIndexOf(' ');
      String key = space < 0 || line.startsWith("#") ? "" : line.substring(0, space);
      String name = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
      if (wanted.test(name)) {
        series.put(key, Double.parseDouble(line.substring(space + 1)));
      }
    }
    return series;
  }

  private String page() {
    HttpResponse<String> response = client.send("GET", "/metrics", null, null);
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(MetricsServlet.CONTENT_TYPE,
        response.headers().firstValue("Content-Type").orElse(""));
    return response.body();
  }

  private Map<String, Double> scrape() {
    return counters(page());
  }

  /** The value of the one series {@code name} (no labels) on a fresh scrape. */
  private double scrape(String name) {
    Double value = series(page(), name::equals).get(name);
    assertTrue(value != null, name + " is not on the page");
    return value;
  }

  private JsonNode login(String username, String password) {
    HttpResponse<String> response = client.login(username, password);
    assertEquals(200, response.statusCode(), response.body());
    return DemoClient.json(response);
  }

  private int status(String accessToken) {
    return client.send("GET", "/api/proposals", accessToken, null).statusCode();
  }

  private HttpResponse<String> refresh(String refreshToken) {
    return client.send("POST", "/auth/refresh", null,
        "{\"refresh_token\":\"" + refreshToken + "\"}");
  }

  @Test
  void counters_afterLoginsAWrongTokenALogoutAndAReuse_moveByExactlyWhatHappened()
      throws Exception {
    start();
    Map<String, Double> before = scrape();
    assertTrue(before.containsKey("tokenkeeper_reuses_total"), before::toString);

    JsonNode alice = login("alice@example.com", "wonderland");
    JsonNode laptop = login("alice@example.com", "wonderland");
    JsonNode bob = login("bob@example.com", "builder");
    assertEquals(200, status(alice.get("access_token").asText()));
    assertEquals(401, status("tk_wrong"));
    String neverIssued = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();
    assertEquals(401, status(neverIssued));
    String loggedOut = laptop.get("access_token").asText();
    assertEquals(204, client.send("POST", "/auth/logout", loggedOut, null).statusCode());
    assertEquals(401, status(loggedOut));
    String stolen = bob.get("refresh_token").asText();
    assertEquals(200, refresh(stolen).statusCode());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(400, refresh(stolen).statusCode());

    Map<String, Double> after = scrape();
    assertEquals(before.keySet(), after.keySet());
    Map<String, Double> moved = new TreeMap<>();
    after.forEach((series, value) -> {
      if (value - before.get(series) != 0) {
        moved.put(series, value - before.get(series));
      }
    });
    assertEquals(new TreeMap<>(Map.ofEntries(
        Map.entry("tokenkeeper_issues_total{kind=\"pair\"}", 3.0),
        // the first request, then the logout's own request
        Map.entry("tokenkeeper_authentications_total{result=\"authenticated\"}", 2.0),
        Map.entry("tokenkeeper_authentications_total{result=\"malformed\"}", 1.0),
        Map.entry("tokenkeeper_authentications_total{result=\"unknown\"}", 1.0),
        Map.entry("tokenkeeper_authentications_total{result=\"revoked\"}", 1.0),
        Map.entry("tokenkeeper_revocations_total{cause=\"user\",scope=\"session\"}", 1.0),
        Map.entry("tokenkeeper_refreshes_total{result=\"refreshed\"}", 1.0),
        Map.entry("tokenkeeper_refreshes_total{result=\"reused\"}", 1.0),
        Map.entry("tokenkeeper_reuses_total", 1.0),
        Map.entry("tokenkeeper_revocations_total{cause=\"reuse\",scope=\"session\"}", 1.0),
        // the file store's log: three logins, the logout, the rotation and the reuse's revoke
        Map.entry("tokenkeeper_store_file_records_synced_total", 6.0))), moved);
  }

  @Test
  void page_holdsTheLiveGaugeAndStoreTimers_andNoSecret() throws Exception {
    start();
    JsonNode alice = login("alice@example.com", "wonderland");
    String page = client.send("GET", "/metrics", null, null).body();
    assertTrue(page.contains("tokenkeeper_sessions_live 1.0"), page);
    assertTrue(page.contains(
        "tokenkeeper_store_operations_seconds_count{operation=\"create\",outcome=\"success\"} 1"),
        page);
    assertFalse(page.contains("operation=\"find\""), "the file store's lookups are not timed");
    assertTrue(page.contains("tokenkeeper_audit_dropped_total 0.0"), page);
    assertFalse(page.contains(alice.get("access_token").asText()));
    assertFalse(page.contains("alice"), "no subject is a label");
  }

  @Test
  void liveGauge_countedAtMostEvery30Seconds_thenRightAfterLoginsAndLogouts() throws Exception {
    start();
    assertEquals(0, scrape("tokenkeeper_sessions_live"));
    JsonNode alice = login("alice@example.com", "wonderland");
    JsonNode laptop = login("alice@example.com", "wonderland");
    login("bob@example.com", "builder");
    assertEquals(0, scrape("tokenkeeper_sessions_live"), "a scrape does not count again");
    clock.advance(Duration.ofSeconds(30));
    assertEquals(3, scrape("tokenkeeper_sessions_live"));

    String loggedOut = laptop.get("access_token").asText();
    assertEquals(204, client.send("POST", "/auth/logout", loggedOut, null).statusCode());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(2, scrape("tokenkeeper_sessions_live"));
    String everywhere = alice.get("access_token").asText();
    assertEquals(204, client.send("POST", "/auth/logout-all", everywhere, null).statusCode());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(1, scrape("tokenkeeper_sessions_live"));
  }

  @Test
  void fileStoreMeters_syncMode_oneFsyncAndOneRecordPerLogin_andTheLogGrows() throws Exception {
    start();
    Map<String, Double> before =
        series(page(), name -> name.startsWith("tokenkeeper_store_file_"));
    assertEquals(Set.of("tokenkeeper_store_file_fsyncs_seconds_count",
        "tokenkeeper_store_file_fsyncs_seconds_sum",
        "tokenkeeper_store_file_records_synced_total",
        "tokenkeeper_store_file_touch_backlog",
        "tokenkeeper_store_file_compactions_seconds_count",
        "tokenkeeper_store_file_compactions_seconds_sum",
        "tokenkeeper_store_file_log_size_bytes"), before.keySet());

    login("alice@example.com", "wonderland");
    login("bob@example.com", "builder");
    Map<String, Double> after =
        series(page(), name -> name.startsWith("tokenkeeper_store_file_"));
    assertEquals(before.get("tokenkeeper_store_file_fsyncs_seconds_count") + 2,
        after.get("tokenkeeper_store_file_fsyncs_seconds_count"));
    assertEquals(before.get("tokenkeeper_store_file_records_synced_total") + 2,
        after.get("tokenkeeper_store_file_records_synced_total"));
    assertTrue(after.get("tokenkeeper_store_file_log_size_bytes")
        > before.get("tokenkeeper_store_file_log_size_bytes"), after::toString);
    assertEquals(0, after.get("tokenkeeper_store_file_compactions_seconds_count"));
  }

  @Test
  void metrics_relayedByAProxy_isA404_evenFromLoopback() throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false, List.of("127.0.0.1"), null,
        false, SessionCap.DEFAULT_MAX));
    for (String header : List.of("X-Forwarded-For", "Forwarded", "X-Real-IP")) {
      HttpResponse<String> relayed = client.send("GET", "/metrics", null, null, "test-client",
          header, header.equals("Forwarded") ? "for=127.0.0.1" : "127.0.0.1");
      assertEquals(404, relayed.statusCode(), header);
      assertEquals("not_found", DemoClient.json(relayed).get("error").asText(), header);
    }
    assertEquals(405, client.send("POST", "/metrics", null, "{}").statusCode());
    assertEquals(404, client.send("GET", "/metrics/x", null, null).statusCode());
  }

  /**
   * A reverse proxy on this host connects from loopback; many add only some forwarding headers
   * (nginx configured with just {@code X-Forwarded-Proto}, {@code Via} from Apache or Squid, a
   * CDN's client-address header passed through). Any of them marks the request as relayed.
   */
  @Test
  void metrics_relayedWithAnyForwardingHeader_isA404_evenFromLoopback() throws Exception {
    start(new DemoOptions(0, "127.0.0.1", dataDir, null, false, List.of("127.0.0.1"), null,
        false, SessionCap.DEFAULT_MAX));
    for (String header : List.of("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
        "X-Forwarded-Server", "Via", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP")) {
      String value = header.equals("Via") ? "1.1 proxy" : header.endsWith("IP") ? "203.0.113.9"
          : "https";
      HttpResponse<String> relayed = client.send("GET", "/metrics", null, null, "test-client",
          header, value);
      assertEquals(404, relayed.statusCode(), header);
      assertFalse(relayed.body().contains("tokenkeeper"), header);
    }
    assertEquals(200, client.send("GET", "/metrics", null, null).statusCode(),
        "a scraper on this host, with no such header, still reads it");
  }

  @Test
  void metrics_fromAnotherAddress_isA404_unlessMetricsPublic() throws Exception {
    InetAddress outside = nonLoopbackAddress();
    Assumptions.assumeTrue(outside != null,
        "no non-loopback IPv4 address on this machine: cannot connect from outside loopback");
    for (boolean open : List.of(false, true)) {
      start(new DemoOptions(0, "0.0.0.0", dataDir, null, false, List.of(), null, true,
          SessionCap.DEFAULT_MAX, open));
      DemoClient remote = new DemoClient(
          URI.create("http://" + outside.getHostAddress() + ":" + server.port()));
      HttpResponse<String> response = remote.send("GET", "/metrics", null, null);
      if (open) {
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("tokenkeeper_authentications_total"));
      } else {
        assertEquals(404, response.statusCode());
        assertEquals("not_found", DemoClient.json(response).get("error").asText());
        assertFalse(response.body().contains("tokenkeeper"));
        assertEquals(200, client.send("GET", "/metrics", null, null).statusCode(),
            "loopback still reads it");
      }
      server.close();
      server = null;
    }
  }

  private static InetAddress nonLoopbackAddress() throws SocketException {
    for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!network.isUp() || network.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(network.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
          return address;
        }
      }
    }
    return null;
  }
}
