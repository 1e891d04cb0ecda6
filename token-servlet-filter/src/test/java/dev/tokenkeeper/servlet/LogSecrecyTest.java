package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Drives every path that logs (accepted, each kind of refusal, the failure limit, a failing store)
 * with this module's loggers at TRACE, and proves no log line at any level holds a token, a
 * recognisable part of one, or its full hash: at most its fingerprint.
 */
class LogSecrecyTest {

  private final MutableClock clock = MutableClock.startingAt2026();
  private final TokenService tokens =
      TokenService.builder().store(new InMemoryTokenStore()).clock(clock).build();

  @Test
  void everyLoggedPath_neverLogsATokenOrItsFullHash() throws Exception {
    String good = tokens.issue("alice").plaintext();
    String revoked = tokens.issue("bob").plaintext();
    tokens.revoke(revoked);
    String expiring = tokens.issue("carol").plaintext();
    String unknown = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();
    String malformed = "not-a-tokenkeeper-token-but-secret-all-the-same";
    String ungrammatical = "secret$with$illegal$characters";
    String inQuery = tokens.issue("dave").plaintext();
    List<String> secrets =
        List.of(good, revoked, expiring, unknown, malformed, ungrammatical, inQuery);
    CapturedLogs.clear();

    try (TestServer server = TestServer.start(BearerTokenFilter.builder(tokens)
        .failureLimit(6, Duration.ofMinutes(1)).allowFormParameter(true).clock(clock).build())) {
      assertEquals(200, server.getWithToken("/api", good).statusCode());
      clock.advance(TokenService.DEFAULT_ABSOLUTE_TTL.minusSeconds(1));
      assertEquals(200, server.getWithToken("/api", expiring).statusCode());
      clock.advance(Duration.ofSeconds(1));
      assertEquals(401, server.getWithToken("/api", expiring).statusCode());
      assertEquals(401, server.getWithToken("/api", revoked).statusCode());
      assertEquals(401, server.getWithToken("/api", unknown).statusCode());
      assertEquals(401, server.getWithToken("/api", malformed).statusCode());
      assertEquals(401, server.getWithToken("/api", ungrammatical).statusCode());
      assertEquals(400, server.get("/api?access_token=" + inQuery, "Authorization",
          "Bearer " + inQuery).statusCode());
      assertEquals(429, server.getWithToken("/api", good).statusCode());
      assertEquals(429, TestServer.send(server.request("/api")
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("access_token=" + inQuery))).statusCode());
    }
    TokenService broken = TokenService.builder().store(new FailingTokenStore()).build();
    try (TestServer failing = TestServer.start(BearerTokenFilter.builder(broken).build())) {
      assertEquals(503, failing.getWithToken("/api", inQuery).statusCode());
    }

    List<CapturedLogs.Line> lines = CapturedLogs.lines();
    assertTrue(lines.stream().anyMatch(line -> line.level() == Level.DEBUG
        && line.text().contains(TokenHash.sha256(unknown).fingerprint())),
        "refusals are logged, with the fingerprint, at DEBUG: " + lines);
    assertTrue(lines.stream().anyMatch(line -> line.level() == Level.WARN
        && line.text().contains("reached 6 failed bearer attempts")), lines.toString());
    assertTrue(lines.stream().anyMatch(line -> line.level() == Level.ERROR
        && line.text().contains("answering 503")
        && line.text().contains(TokenHash.sha256(inQuery).fingerprint())), lines.toString());
    for (CapturedLogs.Line line : lines) {
      for (String secret : secrets) {
        for (String needle : forbidden(secret)) {
          assertFalse(line.text().contains(needle),
              "log line holds a secret or its hash: " + line.logger() + " " + line.level());
        }
      }
    }
  }

  /** The token, its random middle, and its full hash in hex and base64. */
  private static List<String> forbidden(String secret) {
    List<String> needles = new ArrayList<>();
    needles.add(secret);
    if (secret.length() > 24) {
      needles.add(secret.substring(8, secret.length() - 8));
    }
    byte[] hash = TokenHash.sha256(secret).bytes();
    needles.add(HexFormat.of().formatHex(hash));
    needles.add(Base64.getEncoder().withoutPadding().encodeToString(hash));
    needles.add(Base64.getUrlEncoder().withoutPadding().encodeToString(hash));
    return needles;
  }
}
