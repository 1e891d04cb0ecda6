package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The access cookie as a second transport, and its defence against forged cross-origin requests,
 * through a real Jetty and a real HTTP/1.1 client sending what browsers send: {@code Cookie},
 * {@code Origin} and {@code Sec-Fetch-Site}.
 */
class CookieTransportTest {

  static final String CROSS_ORIGIN_BODY =
      "{\"error\":\"forbidden\",\"error_description\":\"cross-origin request refused\"}";
  private static final String COOKIE = TokenCookies.DEFAULT_ACCESS_COOKIE;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final CountingTokenStore store = new CountingTokenStore();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock).build();
  private final String alice = tokens.issue("alice").plaintext();
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .cookies(TokenCookies.builder().build())
        .failureLimit(5, Duration.ofMinutes(1))
        .clock(clock)
        .build());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> send(String method, String... headers) throws Exception {
    HttpRequest.Builder request = server.request("/api/proposals")
        .method(method, method.equals("GET") || method.equals("HEAD")
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString("title=pwned"));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return TestServer.send(request);
  }

  private String ownOrigin() {
    return server.request("/").build().uri().toString().replaceAll("/$", "");
  }

  @Test
  void cookie_onSafeMethod_authenticatesWithCookieAuthTypeAndPrivateCaching() throws Exception {
    HttpResponse<String> response = send("GET", "Cookie", COOKIE + "=" + alice);

    assertEquals(200, response.statusCode());
    assertTrue(response.body().contains("principal=TokenPrincipal:alice\n"), response.body());
    assertTrue(response.body().contains("authType=Cookie\n"), response.body());
    assertEquals(Optional.of("private"), response.headers().firstValue("Cache-Control"));
  }

  @Test
  void crossSiteFormPost_withCookie_is403BeforeAnyLookup_andNeverCountsAgainstTheVictim()
      throws Exception {
    int findsBefore = store.finds();
    for (int i = 0; i < 12; i++) {
      HttpResponse<String> forged = send("POST", "Cookie", COOKIE + "=" + alice,
          "Content-Type", "application/x-www-form-urlencoded",
          "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site");

      assertEquals(403, forged.statusCode());
      assertEquals(CROSS_ORIGIN_BODY, forged.body());
      assertEquals(Optional.of("application/json"), forged.headers().firstValue("Content-Type"));
      assertEquals(Optional.of("no-store"), forged.headers().firstValue("Cache-Control"));
      assertFalse(forged.headers().firstValue("WWW-Authenticate").isPresent());
    }
    assertEquals(findsBefore, store.finds(), "a forged request made a store lookup");
    // Twelve forgeries past a limit of five: the victim's own requests still pass.
    assertEquals(200, send("POST", "Cookie", COOKIE + "=" + alice,
        "Sec-Fetch-Site", "same-origin").statusCode());
  }

  @Test
  void sameSiteOtherPort_withCookie_is403() throws Exception {
    // Another port of the same host is the same site: SameSite=Strict lets the cookie go along.
    HttpResponse<String> forged = send("POST", "Cookie", COOKIE + "=" + alice,
        "Origin", "http://127.0.0.1:1", "Sec-Fetch-Site", "same-site");

    assertEquals(403, forged.statusCode());
    assertEquals(CROSS_ORIGIN_BODY, forged.body());
  }

  @Test
  void everyUnsafeMethod_needsItsOrigin_safeOnesDoNot() throws Exception {
    for (String method : List.of("POST", "PUT", "PATCH", "DELETE", "PROPFIND")) {
      assertEquals(403, send(method, "Cookie", COOKIE + "=" + alice).statusCode(), method);
      assertEquals(403, send(method, "Cookie", COOKIE + "=" + alice,
          "Sec-Fetch-Site", "none").statusCode(), method);
      assertEquals(200, send(method, "Cookie", COOKIE + "=" + alice,
          "Sec-Fetch-Site", "same-origin").statusCode(), method);
    }
    for (String method : List.of("GET", "HEAD", "OPTIONS")) {
      assertEquals(200, send(method, "Cookie", COOKIE + "=" + alice,
          "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").statusCode(), method);
    }
  }

  @Test
  void traceCarriedByTheCookie_isRefusedEvenFromTheOwnOrigin() throws Exception {
    assertEquals(403, send("TRACE", "Cookie", COOKIE + "=" + alice,
        "Sec-Fetch-Site", "same-origin").statusCode());
    assertEquals(403, send("TRACE", "Cookie", COOKIE + "=" + alice,
        "Origin", ownOrigin()).statusCode());
  }

  @Test
  void withoutFetchMetadata_onlyTheRequestsOwnOriginPasses() throws Exception {
    String cookie = COOKIE + "=" + alice;
    assertEquals(200, send("POST", "Cookie", cookie, "Origin", ownOrigin()).statusCode());
    assertEquals(200, send("POST", "Cookie", cookie,
        "Origin", ownOrigin().toUpperCase(java.util.Locale.ROOT)).statusCode());
    for (String origin : List.of("null", "https://evil.example",
        ownOrigin().replace("http:", "https:"), ownOrigin() + "/", ownOrigin() + "0",
        "http://localhost:" + server.request("/").build().uri().getPort(), "")) {
      assertEquals(403, send("POST", "Cookie", cookie, "Origin", origin).statusCode(), origin);
    }
    // A browser that says the request is not its own origin is believed over a matching Origin.
    assertEquals(403, send("POST", "Cookie", cookie, "Origin", ownOrigin(),
        "Sec-Fetch-Site", "same-site").statusCode());
  }

  @Test
  void allowedOrigin_mayPostCrossOrigin_otherPortsOfItMayNot() throws Exception {
    try (TestServer allowing = TestServer.start(BearerTokenFilter.builder(tokens)
        .cookies(TokenCookies.builder().allowedOrigins("https://app.example").build())
        .build())) {
      HttpRequest.Builder allowed = allowing.request("/api/x")
          .POST(HttpRequest.BodyPublishers.noBody())
          .header("Cookie", COOKIE + "=" + alice)
          .header("Origin", "https://app.example").header("Sec-Fetch-Site", "cross-site");
      HttpRequest.Builder otherPort = allowing.request("/api/x")
          .POST(HttpRequest.BodyPublishers.noBody())
          .header("Cookie", COOKIE + "=" + alice)
          .header("Origin", "https://app.example:8443").header("Sec-Fetch-Site", "cross-site");

      assertEquals(200, TestServer.send(allowed).statusCode());
      assertEquals(403, TestServer.send(otherPort).statusCode());
    }
  }

  @Test
  void bearerHeader_crossOrigin_isUnaffected_andWinsOverTheCookie() throws Exception {
    String bob = tokens.issue("bob").plaintext();

    HttpResponse<String> response = send("POST", "Authorization", "Bearer " + bob,
        "Cookie", COOKIE + "=" + alice,
        "Origin", "https://elsewhere.example", "Sec-Fetch-Site", "cross-site");

    assertEquals(200, response.statusCode());
    assertTrue(response.body().contains("principal=TokenPrincipal:bob\n"), response.body());
    assertTrue(response.body().contains("authType=Bearer\n"), response.body());
    assertFalse(response.headers().firstValue("Cache-Control").isPresent());

    HttpResponse<String> badHeader = send("GET", "Authorization", "Bearer not-it",
        "Cookie", COOKIE + "=" + alice);
    assertEquals(401, badHeader.statusCode());
    assertEquals(BearerTokenFilterTest.INVALID_TOKEN_BODY, badHeader.body());
  }

  @Test
  void cookieTransportOff_cookieIsNeverRead() throws Exception {
    try (TestServer plain = TestServer.start(BearerTokenFilter.builder(tokens).build())) {
      HttpResponse<String> response =
          plain.get("/api/me", "Cookie", COOKIE + "=" + alice, "Sec-Fetch-Site", "same-origin");

      assertEquals(401, response.statusCode());
      assertEquals(List.of(BearerTokenFilterTest.NO_CREDENTIALS_CHALLENGE),
          response.headers().allValues("WWW-Authenticate"));
    }
  }

  @Test
  void twoAccessCookies_is400_orForbiddenFromAnotherOrigin() throws Exception {
    String bob = tokens.issue("bob").plaintext();
    String both = "a=1; " + COOKIE + "=" + alice + "; " + COOKIE + "=" + bob;

    HttpResponse<String> response = send("GET", "Cookie", both);
    assertEquals(400, response.statusCode());
    assertEquals("{\"error\":\"invalid_request\","
        + "\"error_description\":\"more than one access cookie\"}", response.body());
    assertEquals(403, send("POST", "Cookie", both, "Origin", "https://evil.example",
        "Sec-Fetch-Site", "cross-site").statusCode());
  }

  @Test
  void revokedOrMalformedCookie_is401InvalidToken_andCounts() throws Exception {
    tokens.revoke(alice);
    String mistyped = "tk_" + "A".repeat(20);
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response =
          send("GET", "Cookie", COOKIE + "=" + (i % 2 == 0 ? alice : mistyped));
      assertEquals(401, response.statusCode());
      assertEquals(BearerTokenFilterTest.INVALID_TOKEN_BODY, response.body());
    }
    assertEquals(429, send("GET", "Cookie", COOKIE + "=" + alice).statusCode());
  }

  @Test
  void otherCookies_alone_areNoCredentials() throws Exception {
    HttpResponse<String> response = send("POST", "Cookie",
        "tk_access=" + alice + "; __Host-tk_access2=" + alice + "; " + TokenCookies
            .DEFAULT_REFRESH_COOKIE + "=" + alice);

    assertEquals(401, response.statusCode());
    assertEquals(List.of(BearerTokenFilterTest.NO_CREDENTIALS_CHALLENGE),
        response.headers().allValues("WWW-Authenticate"));
  }
}
