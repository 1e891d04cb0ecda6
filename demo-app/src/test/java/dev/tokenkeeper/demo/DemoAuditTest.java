package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenHash;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.logging.JettyLogger;
import org.eclipse.jetty.logging.StdErrAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The audit log of the real demo, read where an operator reads it: what Jetty's SLF4J binding
 * prints. One JSON line per security event, in the order they happened, and no line of any
 * logger holding a token or a password.
 */
class DemoAuditTest {

  @TempDir Path dataDir;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private StdErrAppender appender;
  private PrintStream previous;
  private DemoServer server;
  private DemoClient client;

  /** Tees everything the demo logs (every logger shares one appender) into {@code captured}. */
  @BeforeEach
  void capture() {
    if (!(LoggerFactory.getLogger(AuditLog.LOGGER) instanceof JettyLogger logger)
        || !(logger.getAppender() instanceof StdErrAppender stdErr)) {
      throw new AssertionError("the demo's tests expect Jetty's SLF4J binding: "
          + LoggerFactory.getILoggerFactory());
    }
    appender = stdErr;
    previous = appender.getStream();
    PrintStream original = previous == null ? System.err : previous;
    appender.setStream(new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        synchronized (captured) {
          captured.write(b);
        }
      }

      @Override
      public void write(byte[] bytes, int offset, int length) {
        original.write(bytes, offset, length);
        synchronized (captured) {
          captured.write(bytes, offset, length);
        }
      }
    }, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    appender.setStream(previous);
  }

  private String log() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  /** The JSON of every audit line logged so far. */
  private List<JsonNode> auditLines() throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : log().split("\n")) {
      // Jetty condenses the logger's name: tokenkeeper.audit prints as t.audit.
      if (line.contains(":t.audit:")) {
        lines.add(Json.MAPPER.readTree(line.substring(line.indexOf('{'))));
      }
    }
    return lines;
  }

  private JsonNode login(String username, String password) {
    HttpResponse<String> response = client.login(username, password);
    assertEquals(200, response.statusCode(), response.body());
    return DemoClient.json(response);
  }

  @Test
  void auditLog_oneJsonLinePerEvent_inOrder_andNoLogLineHoldsASecret() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false), clock);
    client = new DemoClient(server.uri());
    List<String> secrets = new ArrayList<>(List.of("wonderland", "builder"));

    JsonNode alice = login("alice@example.com", "wonderland");
    JsonNode bob = login("bob@example.com", "builder");
    String access = alice.get("access_token").asText();
    String stolen = bob.get("refresh_token").asText();
    secrets.addAll(List.of(access, alice.get("refresh_token").asText(),
        bob.get("access_token").asText(), stolen));
    assertEquals(401, client.send("GET", "/api/proposals", "tk_wrong", null).statusCode());
    assertEquals(204, client.send("POST", "/auth/logout", access, null).statusCode());
    assertEquals(401, client.send("GET", "/api/proposals", access, null).statusCode());
    HttpResponse<String> renewed = client.send("POST", "/auth/refresh", null,
        "{\"refresh_token\":\"" + stolen + "\"}");
    assertEquals(200, renewed.statusCode());
    secrets.add(DemoClient.json(renewed).get("access_token").asText());
    secrets.add(DemoClient.json(renewed).get("refresh_token").asText());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(400, client.send("POST", "/auth/refresh", null,
        "{\"refresh_token\":\"" + stolen + "\"}").statusCode());

    List<String> expected = List.of("issued", "issued", "refused", "revoked", "refused",
        "refreshed", "reuse_detected", "revoked");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (auditLines().size() < expected.size() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    List<JsonNode> lines = auditLines();
    assertEquals(expected, lines.stream().map(line -> line.get("event").asText()).toList(),
        log());
    assertEquals("malformed", lines.get(2).get("reason").asText());
    assertEquals("user", lines.get(3).get("cause").asText());
    assertEquals(alice.get("session_id").asText(), lines.get(3).get("session").asText());
    JsonNode reuse = lines.get(6);
    assertEquals("bob@example.com", reuse.get("subject").asText());
    assertEquals(TokenHash.sha256(stolen).fingerprint(), reuse.get("token").asText());
    assertEquals("reuse", lines.get(7).get("cause").asText());
    assertNotNull(lines.get(0).get("refresh_token"));

    String everything = log();
    for (String secret : secrets) {
      assertFalse(everything.contains(secret), "a log line holds a secret");
    }
  }
}
