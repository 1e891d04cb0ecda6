package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README walkthrough, in process: log in, work, restart the server on the same data
 * directory, and the token still works; log out, restart, and it still does not.
 */
class DemoEndToEndTest {

  @TempDir Path dataDir;

  private DemoServer server;
  private DemoClient client;

  private void start() throws Exception {
    server = DemoServer.start(
        new DemoOptions(0, "127.0.0.1", dataDir, null, false), Clock.systemUTC());
    client = new DemoClient(server.uri());
  }

  private void restart() throws Exception {
    server.close();
    start();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void walkthrough_loginSurvivesRestart_andLogoutSurvivesRestart() throws Exception {
    start();
    assertEquals(200, client.send("GET", "/health", null, null).statusCode());

    HttpResponse<String> login = client.login("alice@example.com", "wonderland");
    assertEquals(200, login.statusCode());
    assertEquals("no-store", login.headers().firstValue("Cache-Control").orElse(""));
    assertEquals("no-cache", login.headers().firstValue("Pragma").orElse(""));
    JsonNode issued = DemoClient.json(login);
    String alice = issued.get("access_token").asText();
    assertEquals("Bearer", issued.get("token_type").asText());
    assertTrue(issued.get("expires_in").asLong() > 3600 - 60);
    assertTrue(issued.get("refresh_expires_in").asLong() > 7 * 24 * 3600 - 60);
    assertTrue(issued.get("refresh_token").asText().startsWith("tkr_"));
    assertEquals(22, issued.get("session_id").asText().length());

    HttpResponse<String> created =
        client.send("POST", "/api/proposals", alice, "{\"title\":\"Roadmap\"}");
    assertEquals(201, created.statusCode());
    String id = DemoClient.json(created).get("id").asText();

    String bob = client.token("bob@example.com", "builder");
    assertEquals(0, proposals(bob).size());
    assertEquals(200, client.send("POST", "/api/proposals/" + id + "/collaborators", alice,
        "{\"username\":\"bob@example.com\"}").statusCode());
    assertEquals(List.of("Roadmap"), titles(proposals(bob)));

    restart();
    assertEquals(List.of("Roadmap"), titles(proposals(alice)));
    assertEquals(List.of("Roadmap"), titles(proposals(bob)));

    assertEquals(204, client.send("POST", "/auth/logout", alice, null).statusCode());
    assertEquals(401, client.send("GET", "/api/proposals", alice, null).statusCode());
    restart();
    HttpResponse<String> refused = client.send("GET", "/api/proposals", alice, null);
    assertEquals(401, refused.statusCode());
    assertTrue(refused.headers().firstValue("WWW-Authenticate").orElse("")
        .contains("invalid_token"));
    assertEquals(200, client.send("GET", "/api/proposals", bob, null).statusCode());
  }

  @Test
  void invite_onlyTheOwnerMay_andWhatTheCallerCannotSeeIs404() throws Exception {
    start();
    String alice = client.token("alice@example.com", "wonderland");
    String bob = client.token("bob@example.com", "builder");
    String id = DemoClient.json(
        client.send("POST", "/api/proposals", alice, "{\"title\":\"Plan\"}")).get("id").asText();
    assertTrue(id.matches("[A-Za-z0-9_-]{22}"), "a random 128-bit id: " + id);
    String invite = "{\"username\":\"alice@example.com\"}";
    // Bob cannot see Alice's proposal: the same 404 as for one that does not exist.
    HttpResponse<String> hidden = client.send("POST", "/api/proposals/" + id + "/collaborators",
        bob, invite);
    assertEquals(404, hidden.statusCode());
    assertEquals(client.send("POST", "/api/proposals/nope/collaborators", bob, invite).body(),
        hidden.body());
    assertEquals(200, client.send("POST", "/api/proposals/" + id + "/collaborators", alice,
        "{\"username\":\"bob@example.com\"}").statusCode());
    // Now a collaborator, Bob sees it, and may still not invite.
    assertEquals(403, client.send("POST", "/api/proposals/" + id + "/collaborators", bob,
        invite).statusCode());
    assertEquals(404, client.send("POST", "/api/proposals/" + id + "/collaborators", alice,
        "{\"username\":\"carol@example.com\"}").statusCode());
    assertEquals(404, client.send("POST", "/api/proposals/999/collaborators", alice,
        "{\"username\":\"bob@example.com\"}").statusCode());
  }

  @Test
  void sessions_listMarkTheCaller_deleteRevokesOneDevice_andLogoutAllEndsEvery() throws Exception {
    start();
    String laptop = DemoClient.json(client.send("POST", "/auth/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"wonderland\"}", "Laptop Firefox"))
        .get("access_token").asText();
    HttpResponse<String> phoneLogin = client.send("POST", "/auth/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"wonderland\"}", "Phone Safari");
    String phone = DemoClient.json(phoneLogin).get("access_token").asText();
    String phoneId = DemoClient.json(phoneLogin).get("session_id").asText();
    String bob = client.token("bob@example.com", "builder");

    JsonNode sessions = DemoClient.json(client.send("GET", "/auth/sessions", laptop, null))
        .get("sessions");
    assertEquals(2, sessions.size());
    List<String> current = new ArrayList<>();
    for (JsonNode s : sessions) {
      if (s.get("current").asBoolean()) {
        current.add(s.get("label").asText());
      }
      assertFalse(s.get("last_used").asText().isEmpty());
      assertFalse(s.get("expires").asText().isEmpty());
    }
    assertEquals(List.of("Laptop Firefox"), current);

    // Bob cannot end Alice's phone, and learns nothing: the same 404 as a made-up id.
    assertEquals(404, client.send("DELETE", "/auth/sessions/" + phoneId, bob, null).statusCode());
    assertEquals(404, client.send("DELETE", "/auth/sessions/nonsense", bob, null).statusCode());
    assertEquals(200, client.send("GET", "/api/proposals", phone, null).statusCode());

    assertEquals(204, client.send("DELETE", "/auth/sessions/" + phoneId, laptop, null)
        .statusCode());
    assertEquals(401, client.send("GET", "/api/proposals", phone, null).statusCode());
    assertEquals(200, client.send("GET", "/api/proposals", laptop, null).statusCode());

    String tablet = client.token("alice@example.com", "wonderland");
    assertEquals(204, client.send("POST", "/auth/logout-all", laptop, null).statusCode());
    assertEquals(401, client.send("GET", "/api/proposals", laptop, null).statusCode());
    assertEquals(401, client.send("GET", "/api/proposals", tablet, null).statusCode());
    assertEquals(200, client.send("GET", "/api/proposals", bob, null).statusCode());
  }

  @Test
  void login_wrongPasswordAndUnknownUser_lookTheSame_andRepeatedFailuresGet429() throws Exception {
    start();
    HttpResponse<String> wrong = client.login("alice@example.com", "nope");
    HttpResponse<String> unknown = client.login("mallory@example.com", "nope");
    assertEquals(401, wrong.statusCode());
    assertEquals(401, unknown.statusCode());
    assertEquals(wrong.body(), unknown.body());
    for (int i = 0; i < 4; i++) {
      client.login("alice@example.com", "nope");
    }
    HttpResponse<String> limited = client.login("alice@example.com", "wonderland");
    assertEquals(429, limited.statusCode());
    assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) > 0);
    // Bob is not locked out by Alice's attacker (per-user), until the address limit is reached.
    assertEquals(200, client.login("bob@example.com", "builder").statusCode());
  }

  @Test
  void dataDirectory_holdsNoSecret() throws Exception {
    start();
    String alice = client.token("alice@example.com", "wonderland");
    client.send("POST", "/api/proposals", alice, "{\"title\":\"Secrets?\"}");
    server.close();
    server = null;
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(content.contains(alice), file.toString());
        assertFalse(content.contains("wonderland"), file.toString());
      }
    }
  }

  private List<JsonNode> proposals(String token) {
    HttpResponse<String> response = client.send("GET", "/api/proposals", token, null);
    assertEquals(200, response.statusCode(), response.body());
    List<JsonNode> out = new ArrayList<>();
    DemoClient.json(response).get("proposals").forEach(out::add);
    return out;
  }

  private static List<String> titles(List<JsonNode> proposals) {
    return proposals.stream().map(p -> p.get("title").asText()).toList();
  }
}
