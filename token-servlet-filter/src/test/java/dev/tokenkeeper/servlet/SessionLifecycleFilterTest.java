package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-session rate limits, client binding and trusted proxies, through a real Jetty. */
class SessionLifecycleFilterTest {

  private final MutableClock clock = MutableClock.startingAt2026();
  private final CountingTokenStore store = new CountingTokenStore();
  private TestServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private TokenService service(ClientBinding.Policy policy) {
    TokenService.Builder builder = TokenService.builder().store(store).clock(clock);
    return policy == null ? builder.build() : builder.clientBinding(policy).build();
  }

  @Test
  void sessionRateLimit_pastTheLimit_is429WithRetryAfter_perSession() throws Exception {
    TokenService tokens = service(null);
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .sessionRateLimit(3, Duration.ofMinutes(1)).clock(clock).build());
    String busy = tokens.issue("alice").plaintext();
    String calm = tokens.issue("alice").plaintext();
    for (int i = 0; i < 3; i++) {
      assertEquals(200, server.getWithToken("/api/me", busy).statusCode());
    }
    HttpResponse<String> limited = server.getWithToken("/api/me", busy);
    assertEquals(429, limited.statusCode());
    assertEquals("60", limited.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(limited.body().contains("too_many_requests"));
    assertEquals(200, server.getWithToken("/api/me", calm).statusCode());
    clock.advance(Duration.ofMinutes(1));
    assertEquals(200, server.getWithToken("/api/me", busy).statusCode());
  }

  @Test
  void boundUserAgent_mismatch_is401InvalidToken() throws Exception {
    TokenService tokens = service(ClientBinding.Policy.userAgentOnly());
    server = TestServer.start(BearerTokenFilter.builder(tokens).clock(clock).build());
    String token = tokens.issue("alice", null, new Client("10.0.0.1", "Phone/1.0")).plaintext();
    String auth = "Bearer " + token;
    assertEquals(200, server.get("/api/me", "Authorization", auth, "User-Agent", "Phone/1.0")
        .statusCode());
    HttpResponse<String> stolen =
        server.get("/api/me", "Authorization", auth, "User-Agent", "curl/8");
    assertEquals(401, stolen.statusCode());
    assertEquals(BearerTokenFilterTest.INVALID_TOKEN_BODY, stolen.body());
  }

  @Test
  void trustedProxy_forwardedClientAddress_isTheOneBound() throws Exception {
    TokenService tokens = service(ClientBinding.Policy.exactAddress());
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .trustedProxies("127.0.0.1", "10.0.0.2").clock(clock).build());
    String auth = "Bearer " + tokens.issue("alice", null, new Client("203.0.113.7", null))
        .plaintext();
    assertEquals(200, server.get("/api/me", "Authorization", auth,
        "X-Forwarded-For", "203.0.113.7").statusCode());
    // A client-written entry on the left is ignored; trusted hops on the right are skipped.
    assertEquals(200, server.get("/api/me", "Authorization", auth,
        "X-Forwarded-For", "198.51.100.66, 203.0.113.7, 10.0.0.2").statusCode());
    assertEquals(401, server.get("/api/me", "Authorization", auth,
        "X-Forwarded-For", "203.0.113.7, 198.51.100.66").statusCode());
    // A name instead of an address stops the walk: the last trusted hop (the peer) is the client.
    assertEquals(401, server.get("/api/me", "Authorization", auth,
        "X-Forwarded-For", "203.0.113.7, evil.example").statusCode());
  }

  @Test
  void untrustedPeer_forwardedHeader_isIgnored() throws Exception {
    TokenService tokens = service(ClientBinding.Policy.exactAddress());
    server = TestServer.start(BearerTokenFilter.builder(tokens).clock(clock).build());
    String auth = "Bearer " + tokens.issue("alice", null, new Client("203.0.113.7", null))
        .plaintext();
    assertEquals(401, server.get("/api/me", "Authorization", auth,
        "X-Forwarded-For", "203.0.113.7").statusCode());
    String local = "Bearer " + tokens.issue("alice", null, new Client("127.0.0.1", null))
        .plaintext();
    assertEquals(200, server.get("/api/me", "Authorization", local,
        "X-Forwarded-For", "203.0.113.7").statusCode());
  }

  @Test
  void trustedProxies_acceptIpLiteralsOrBlocksOnly_andNeverResolveNames() {
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of("proxy.internal"));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of("10.0.2"));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of(""));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of("10.0.0.0/33"));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of("::/129"));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of("10.0.0.0/x"));
    assertThrows(IllegalArgumentException.class,
        () -> BearerTokenFilter.builder(service(null)).sessionRateLimit(0, Duration.ofSeconds(1)));
  }
}
