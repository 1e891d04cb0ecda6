package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.MutableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /auth/refresh}: rotation, the grace window, theft detection, and restarts. */
class DemoRefreshTest {

  @TempDir Path dataDir;

  private final MutableClock clock = MutableClock.startingAt2026();
  private DemoServer server;
  private DemoClient client;

  private void start() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false), clock);
    client = new DemoClient(server.uri());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private JsonNode login() {
    HttpResponse<String> response = client.login("alice@example.com", "wonderland");
    assertEquals(200, response.statusCode(), response.body());
    return DemoClient.json(response);
  }

  private HttpResponse<String> refresh(String refreshToken) {
    return client.send("POST", "/auth/refresh", null,
        "{\"refresh_token\":\"" + refreshToken + "\"}");
  }

  private int status(String accessToken) {
    return client.send("GET", "/api/proposals", accessToken, null).statusCode();
  }

  @Test
  void refresh_rotatesThePair_keepsTheSession_andSurvivesARestart() throws Exception {
    start();
    JsonNode first = login();
    assertEquals(3600, first.get("expires_in").asLong());
    assertEquals(7 * 24 * 3600, first.get("refresh_expires_in").asLong());

    clock.advance(Duration.ofMinutes(61));
    assertEquals(401, status(first.get("access_token").asText()));
    HttpResponse<String> renewed = refresh(first.get("refresh_token").asText());
    assertEquals(200, renewed.statusCode(), renewed.body());
    assertEquals("no-store", renewed.headers().firstValue("Cache-Control").orElse(""));
    JsonNode second = DemoClient.json(renewed);
    assertEquals(first.get("session_id"), second.get("session_id"));
    assertNotEquals(first.get("refresh_token"), second.get("refresh_token"));
    assertEquals(200, status(second.get("access_token").asText()));

    server.close();
    start();
    assertEquals(200, status(second.get("access_token").asText()));
    JsonNode third = DemoClient.json(refresh(second.get("refresh_token").asText()));
    assertEquals(200, status(third.get("access_token").asText()));
    assertEquals(1, DemoClient.json(client.send("GET", "/auth/sessions",
        third.get("access_token").asText(), null)).get("sessions").size());
  }

  @Test
  void oldRefreshToken_withinGrace_works_afterGrace_endsThatSessionOnly() throws Exception {
    start();
    JsonNode laptop = login();
    JsonNode phone = login();
    String stolen = laptop.get("refresh_token").asText();
    JsonNode rotated = DemoClient.json(refresh(stolen));
    // A second tab, or a lost response: the same old token within the grace window still works.
    clock.advance(Duration.ofSeconds(5));
    assertEquals(200, refresh(stolen).statusCode());

    clock.advance(Duration.ofSeconds(30));
    HttpResponse<String> theft = refresh(stolen);
    assertEquals(400, theft.statusCode());
    assertEquals("invalid_grant", DemoClient.json(theft).get("error").asText());
    assertEquals(401, status(rotated.get("access_token").asText()));
    assertEquals(400, refresh(rotated.get("refresh_token").asText()).statusCode());
    assertEquals(200, status(phone.get("access_token").asText()));
  }

  @Test
  void sessions_lastUsedMovesWithActivity() throws Exception {
    start();
    String token = login().get("access_token").asText();
    clock.advance(Duration.ofMinutes(5));
    assertEquals(200, status(token));
    JsonNode session = DemoClient.json(client.send("GET", "/auth/sessions", token, null))
        .get("sessions").get(0);
    assertEquals(clock.instant().toString(), session.get("last_used").asText());
    assertTrue(session.get("current").asBoolean());
  }

  @Test
  void refresh_badInput_isA4xxNeverA500() throws Exception {
    start();
    assertEquals(400, refresh("tkr_nonsense").statusCode());
    assertEquals(400, refresh(login().get("access_token").asText()).statusCode());
    assertEquals(400, client.send("POST", "/auth/refresh", null, "{}").statusCode());
    assertEquals(400, client.send("POST", "/auth/refresh", null, "{\"refresh_token\":7}")
        .statusCode());
    assertEquals(405, client.send("GET", "/auth/refresh", null, null).statusCode());
  }
}
