package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** End to end: a real Jetty, a real HTTP/1.1 client, a real token service. */
class BearerTokenFilterTest {

  static final String NO_CREDENTIALS_CHALLENGE = "Bearer realm=\"tokenkeeper\"";
  static final String INVALID_TOKEN_CHALLENGE = "Bearer realm=\"tokenkeeper\", "
      + "error=\"invalid_token\", error_description=\"the access token is invalid, expired or"
      + " revoked\"";
  static final String INVALID_TOKEN_BODY = "{\"error\":\"invalid_token\","
      + "\"error_description\":\"the access token is invalid, expired or revoked\"}";

  private final MutableClock clock = MutableClock.startingAt2026();
  private final CountingTokenStore store = new CountingTokenStore();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock).build();
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .publicPaths("/health", "/auth/login", "/docs/*")
        .failureLimit(5, Duration.ofMinutes(1))
        .clock(clock)
        .build());
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void request_withoutToken_is401WithRealmOnly() throws Exception {
    HttpResponse<String> response = server.get("/api/me");

    assertEquals(401, response.statusCode());
    assertEquals(List.of(NO_CREDENTIALS_CHALLENGE),
        response.headers().allValues("WWW-Authenticate"));
    assertEquals(Optional.of("no-store"), response.headers().firstValue("Cache-Control"));
    assertEquals(Optional.of("application/json"), response.headers().firstValue("Content-Type"));
    assertEquals("{\"error\":\"unauthorized\","
        + "\"error_description\":\"this resource needs a bearer token\"}", response.body());
  }

  @Test
  void request_withGoodToken_reachesServletAsPrincipal() throws Exception {
    IssuedToken issued = tokens.issue("alice@example.com", "test");

    HttpResponse<String> response = server.getWithToken("/api/me", issued.plaintext());

    assertEquals(200, response.statusCode());
    String id = issued.session().id().value();
    assertEquals("principal=TokenPrincipal:alice@example.com\n"
        + "sessionId=" + id + "\n"
        + "remoteUser=alice@example.com\n"
        + "authType=Bearer\n"
        + "sessionAttribute=" + id + "\n", response.body());
    assertFalse(response.headers().firstValue("WWW-Authenticate").isPresent());
  }

  @Test
  void request_withExpiredToken_is401InvalidToken() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    clock.advance(TokenService.DEFAULT_ABSOLUTE_TTL);

    assertInvalidToken(server.getWithToken("/api/me", issued.plaintext()));
  }

  @Test
  void request_withRevokedToken_is401InvalidToken() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    assertEquals(200, server.getWithToken("/api/me", issued.plaintext()).statusCode());
    tokens.revoke(issued.plaintext());

    assertInvalidToken(server.getWithToken("/api/me", issued.plaintext()));
  }

  @Test
  void request_withUnknownToken_is401InvalidToken() throws Exception {
    String unknown = TokenService.builder().store(new CountingTokenStore()).build()
        .issue("mallory").plaintext();

    assertInvalidToken(server.getWithToken("/api/me", unknown));
  }

  @Test
  void request_withMalformedToken_is401InvalidTokenWithoutStoreLookup() throws Exception {
    String good = tokens.issue("alice").plaintext();
    String mistyped = good.substring(0, 10) + (good.charAt(10) == 'A' ? 'B' : 'A')
        + good.substring(11);

    assertInvalidToken(server.getWithToken("/api/me", mistyped));
    assertInvalidToken(server.getWithToken("/api/me", "not-a-token"));
    assertInvalidToken(server.getWithToken("/api/me", "bad$chars"));
    assertEquals(0, store.finds());
  }

  @Test
  void publicPath_exact_passesWithoutToken() throws Exception {
    for (String path : List.of("/health", "/auth/login", "/docs", "/docs/guide/intro")) {
      HttpResponse<String> response = server.get(path);
      assertEquals(200, response.statusCode(), path);
      assertTrue(response.body().startsWith("principal=none\n"), path);
    }
  }

  @Test
  void publicPath_longerPathSharingItsPrefix_staysProtected() throws Exception {
    for (String path : List.of("/healthz-admin", "/healthz", "/health/", "/health/admin",
        "/auth/login2", "/docsx", "/api/health", "/health;x=1/../admin")) {
      HttpResponse<String> response = server.get(path);
      assertEquals(401, response.statusCode(), path);
      assertEquals(List.of(NO_CREDENTIALS_CHALLENGE),
          response.headers().allValues("WWW-Authenticate"), path);
    }
  }

  @Test
  void failures_pastLimit_are429BeforeAnyStoreLookup() throws Exception {
    String good = tokens.issue("alice").plaintext();
    String unknown = TokenService.builder().store(new CountingTokenStore()).build()
        .issue("mallory").plaintext();
    for (int i = 0; i < 5; i++) {
      assertInvalidToken(server.getWithToken("/api/me", unknown));
    }
    int findsBefore = store.finds();

    HttpResponse<String> limited = server.getWithToken("/api/me", good);

    assertEquals(429, limited.statusCode());
    assertEquals(Optional.of("60"), limited.headers().firstValue("Retry-After"));
    assertEquals(Optional.of("no-store"), limited.headers().firstValue("Cache-Control"));
    assertEquals("{\"error\":\"too_many_requests\","
        + "\"error_description\":\"too many failed attempts; retry later\"}", limited.body());
    assertEquals(findsBefore, store.finds());
    assertEquals(429, server.get("/api/me").statusCode());
    assertEquals(200, server.get("/health").statusCode());

    clock.advance(Duration.ofSeconds(45));
    assertEquals(Optional.of("15"),
        server.getWithToken("/api/me", good).headers().firstValue("Retry-After"));

    clock.advance(Duration.ofSeconds(15));
    assertEquals(200, server.getWithToken("/api/me", good).statusCode());
  }

  @Test
  void requestsWithoutCredentials_doNotCountAsFailures() throws Exception {
    for (int i = 0; i < 8; i++) {
      assertEquals(401, server.get("/api/me").statusCode());
    }
    assertEquals(200, server.getWithToken("/api/me", tokens.issue("alice").plaintext())
        .statusCode());
  }

  @Test
  void storeFailure_is503WithRetryAfter_andNoStackTrace() throws Exception {
    String token = tokens.issue("alice").plaintext();
    TokenService broken = TokenService.builder().store(new FailingTokenStore()).build();
    try (TestServer failing = TestServer.start(BearerTokenFilter.builder(broken).build())) {
      HttpResponse<String> response = failing.getWithToken("/api/me", token);

      assertEquals(503, response.statusCode());
      assertEquals(Optional.of("5"), response.headers().firstValue("Retry-After"));
      assertEquals(Optional.of("no-store"), response.headers().firstValue("Cache-Control"));
      assertEquals("{\"error\":\"temporarily_unavailable\","
          + "\"error_description\":\"authentication is temporarily unavailable\"}",
          response.body());
      assertFalse(response.headers().firstValue("WWW-Authenticate").isPresent());
    }
  }

  @Test
  void bugInTheTokenService_is500_notAnOutage_andIsLoggedAsABugEveryTime() throws Exception {
    String token = tokens.issue("alice").plaintext();
    TokenService buggy = TokenService.builder().store(new ForwardingTokenStore(new InMemoryTokenStore()) {
      @Override
      public Optional<TokenEntry> find(TokenHash hash) {
        throw new IllegalStateException("index out of step (test)");
      }
    }).build();
    CapturedLogs.clear();
    try (TestServer failing = TestServer.start(BearerTokenFilter.builder(buggy).build())) {
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> response = failing.getWithToken("/api/me", token);
        assertEquals(500, response.statusCode());
        assertFalse(response.headers().firstValue("Retry-After").isPresent());
        assertEquals("{\"error\":\"server_error\","
            + "\"error_description\":\"authentication failed unexpectedly\"}",
            response.body());
      }
    }
    long bugs = CapturedLogs.lines().stream()
        .filter(line -> line.level() == Level.ERROR && line.text().startsWith("bug:"))
        .count();
    assertEquals(2, bugs);
    assertTrue(CapturedLogs.lines().stream()
        .noneMatch(line -> line.text().contains("answering 503")));
  }

  @Test
  void queryToken_byDefault_isUnauthenticated() throws Exception {
    String good = tokens.issue("alice").plaintext();

    HttpResponse<String> response = server.get("/api/me?access_token=" + good);

    assertEquals(401, response.statusCode());
    assertEquals(List.of(NO_CREDENTIALS_CHALLENGE),
        response.headers().allValues("WWW-Authenticate"));
  }

  @Test
  void queryToken_whenAllowed_authenticatesWithPrivateCaching() throws Exception {
    String good = tokens.issue("alice").plaintext();
    try (TestServer allowing = TestServer.start(
        BearerTokenFilter.builder(tokens).allowQueryParameter(true).build())) {
      HttpResponse<String> response = allowing.get("/api/me?x=1&access_token=" + good);

      assertEquals(200, response.statusCode());
      assertTrue(response.body().contains("remoteUser=alice\n"));
      assertEquals(Optional.of("private"), response.headers().firstValue("Cache-Control"));
      assertEquals(400, allowing.get("/api/me?access_token=" + good + "&access_token=" + good)
          .statusCode());
    }
  }

  @Test
  void formToken_byDefault_isUnauthenticated() throws Exception {
    String good = tokens.issue("alice").plaintext();

    HttpResponse<String> response = TestServer.send(form(server, "access_token=" + good));

    assertEquals(401, response.statusCode());
    assertEquals(List.of(NO_CREDENTIALS_CHALLENGE),
        response.headers().allValues("WWW-Authenticate"));
  }

  @Test
  void formToken_whenAllowed_authenticatesAndRefusesASecondToken() throws Exception {
    String good = tokens.issue("alice").plaintext();
    try (TestServer allowing = TestServer.start(
        BearerTokenFilter.builder(tokens).allowFormParameter(true).build())) {
      assertEquals(200, TestServer.send(form(allowing, "a=b&access_token=" + good)).statusCode());
      HttpResponse<String> withHeader = TestServer.send(form(allowing, "access_token=" + good)
          .header("Authorization", "Bearer " + good));
      assertEquals(400, withHeader.statusCode());
      HttpRequest.Builder withQueryToo = allowing.request("/api/items?access_token=" + good)
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("access_token=" + good));
      assertEquals(400, TestServer.send(withQueryToo).statusCode(),
          "a query token counts even where query tokens are not allowed");
      assertEquals(401, allowing.get("/api/me").statusCode());
    }
  }

  @Test
  void realm_withQuotesAndBackslashes_isEscapedInChallenge() throws Exception {
    try (TestServer quoted = TestServer.start(
        BearerTokenFilter.builder(tokens).realm("a \"b\" \\c").build())) {
      assertEquals(List.of("Bearer realm=\"a \\\"b\\\" \\\\c\""),
          quoted.get("/api/me").headers().allValues("WWW-Authenticate"));
    }
  }

  @Test
  void unconfiguredFilter_refusesEveryRequestWith500() throws Exception {
    try (TestServer unconfigured = TestServer.start(new BearerTokenFilter())) {
      for (String path : List.of("/api/me", "/health")) {
        HttpResponse<String> response = unconfigured.get(path);
        assertEquals(500, response.statusCode(), path);
        assertEquals("{\"error\":\"server_error\","
            + "\"error_description\":\"authentication is not configured\"}", response.body());
      }
    }
  }

  private static HttpRequest.Builder form(TestServer server, String body) {
    return server.request("/api/items")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  static void assertInvalidToken(HttpResponse<String> response) {
    assertEquals(401, response.statusCode());
    assertEquals(List.of(INVALID_TOKEN_CHALLENGE),
        response.headers().allValues("WWW-Authenticate"));
    assertEquals(Optional.of("no-store"), response.headers().firstValue("Cache-Control"));
    assertEquals(INVALID_TOKEN_BODY, response.body());
  }
}
