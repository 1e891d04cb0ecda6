package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.file.StoreLockedException;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/**
 * Init-param parsing, each bad value failing closed with a message naming it, each option's
 * effect over HTTP on a real Jetty, and the {@code store-directory} route against the real {@code FileTokenStore} (a test dependency;
 * the filter loads it by name).
 */
class InitParamsTest {

  @TempDir Path directory;

  private final TokenService tokens =
      TokenService.builder().store(new InMemoryTokenStore()).build();
  private final String good = tokens.issue("alice").plaintext();
  private final String other = tokens.issue("bob").plaintext();
  /** Well formed, but issued by another service: refused as an invalid token. */
  private final String unknown =
      TokenService.builder().store(new InMemoryTokenStore()).build().issue("mallory").plaintext();

  @Test
  void storeDirectory_withFileStoreOnClassPath_opensServesAndClosesItOnDestroy() throws Exception {
    String token;
    try (FileTokenStore earlier = FileTokenStore.open(directory)) {
      token = TokenService.builder().store(earlier).build().issue("alice").plaintext();
    }
    BearerTokenFilter filter = new BearerTokenFilter();
    filter.init(config(Map.of("store-directory", directory.toString())));

    try (TestServer server = TestServer.start(filter)) {
      HttpResponse<String> response = server.getWithToken("/api/me", token);
      assertEquals(200, response.statusCode(), "the token kept in the directory authenticates");
      assertThrows(StoreLockedException.class, () -> FileTokenStore.open(directory),
          "the filter holds the store open");
    }

    FileTokenStore.open(directory).close(); // destroy() closed the store and freed its lock
  }

  @Test
  void storeDirectory_thatCannotOpen_failsClosedNamingTheCause() throws Exception {
    Path notADirectory = Files.createFile(directory.resolve("a-file"));

    String message = failure(Map.of("store-directory", notADirectory.toString()));

    assertTrue(message.contains("could not open the file token store in " + notADirectory),
        message);
  }

  @Test
  void configure_withBothServiceSources_fails() {
    String message = failure(Map.of("store-directory", directory.toString(),
        "token-service-attribute", "tokens"));

    assertTrue(message.contains("only one of"), message);
  }

  @Test
  void configure_withUnknownParameter_failsNamingIt() {
    String message = failure(Map.of("token-service-attribute", "tokens", "public-path", "/x"));

    assertTrue(message.contains("unknown init-param 'public-path'"), message);
  }

  @Test
  void configure_withBadValues_failsNamingTheParameter() {
    assertTrue(failure(Map.of("token-service-attribute", "t", "failure-limit", "many"))
        .contains("failure-limit is not a number: many"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "failure-limit", "0"))
        .contains("failureLimit must be at least 1: 0"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "failure-window-seconds", "-5"))
        .contains("failure window must be positive"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "public-paths", "/ok, /*"))
        .contains("init-param public-paths: public path \"/*\" would open every path"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "allow-query-parameter", "yes"))
        .contains("allow-query-parameter must be true or false: yes"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "realm", "caf\u00e9"))
        .contains("init-param realm: realm must be printable ASCII"));
  }

  @Test
  void configure_withBadValues_neverOpensTheStore() throws Exception {
    failure(Map.of("store-directory", directory.toString(), "failure-limit", "x"));

    try (Stream<Path> files = Files.list(directory)) {
      assertEquals(List.of(), files.toList(), "opening a store would have made its files");
    }
  }

  @Test
  void tokenServiceAttribute_holdingSomethingElse_failsNamingTheType() {
    ServletContext context = context(Map.of("tokens", "a string"));

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> InitParams.configure(config(Map.of("token-service-attribute", "tokens"), context)));

    assertTrue(e.getMessage().contains("holds a java.lang.String"), e.getMessage());
  }

  @Test
  void tokenServiceAttribute_found_servesWithThatServiceAndOwnsNoStore() throws Exception {
    InitParams.Configured configured = InitParams.configure(
        config(Map.of("token-service-attribute", "tokens"), context(Map.of("tokens", tokens))));

    assertNull(configured.ownedStore(), "the application's store is not the filter's to close");
    try (TestServer server = TestServer.start(configured.filter())) {
      assertEquals(200, server.getWithToken("/api/me", good).statusCode(),
          "a token issued by the attribute's service authenticates");
    }
  }

  @Test
  void realm_namesTheRealmInEveryChallenge() throws Exception {
    try (TestServer server = serve(Map.of("realm", "billing"))) {
      assertEquals(Optional.of("Bearer realm=\"billing\""),
          server.get("/api/me").headers().firstValue("WWW-Authenticate"));
      assertTrue(server.getWithToken("/api/me", unknown).headers().firstValue("WWW-Authenticate")
          .orElseThrow().startsWith("Bearer realm=\"billing\", error=\"invalid_token\""));
    }
  }

  @Test
  void publicPaths_passUnauthenticatedAndNothingElseDoes() throws Exception {
    try (TestServer server = serve(Map.of("public-paths", "/health, /docs/*"))) {
      assertEquals(200, server.get("/health").statusCode());
      assertEquals(200, server.get("/docs/a/b").statusCode());
      assertEquals(401, server.get("/healthz").statusCode());
      assertEquals(401, server.get("/api/me").statusCode());
    }
  }

  @Test
  void allowQueryParameter_true_acceptsATokenInTheQuery() throws Exception {
    try (TestServer server = serve(Map.of("allow-query-parameter", "TRUE"))) {
      HttpResponse<String> response = server.get("/api/me?access_token=" + good);
      assertEquals(200, response.statusCode());
      assertTrue(response.body().contains("remoteUser=alice"), response.body());
    }
  }

  @Test
  void allowQueryParameter_false_ignoresATokenInTheQuery() throws Exception {
    try (TestServer server = serve(Map.of("allow-query-parameter", "false"))) {
      assertEquals(401, server.get("/api/me?access_token=" + good).statusCode());
    }
  }

  @Test
  void allowFormParameter_true_acceptsATokenInAFormBody() throws Exception {
    try (TestServer server = serve(Map.of("allow-form-parameter", "true"))) {
      assertEquals(200, TestServer.send(form(server, "access_token=" + good)).statusCode());
    }
  }

  @Test
  void allowFormParameter_false_ignoresATokenInAFormBody() throws Exception {
    try (TestServer server = serve(Map.of("allow-form-parameter", "false"))) {
      assertEquals(401, TestServer.send(form(server, "access_token=" + good)).statusCode());
    }
  }

  @Test
  void failureLimit_refusesTheAttemptAfterTheLimitWith429() throws Exception {
    try (TestServer server = serve(Map.of("failure-limit", "3"))) {
      for (int i = 0; i < 3; i++) {
        assertEquals(401, server.getWithToken("/api/me", unknown).statusCode(), "attempt " + i);
      }
      HttpResponse<String> limited = server.getWithToken("/api/me", good);
      assertEquals(429, limited.statusCode(), "the fourth attempt, a good token, is refused");
      long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retryAfter <= BearerTokenFilter.DEFAULT_FAILURE_WINDOW.toSeconds(),
          "the default window applies: " + retryAfter);
    }
  }

  @Test
  void failureWindowSeconds_setsHowLongAnAddressIsRefused() throws Exception {
    try (TestServer server = serve(Map.of("failure-limit", "1", "failure-window-seconds", "7200"))) {
      assertEquals(401, server.getWithToken("/api/me", unknown).statusCode());
      HttpResponse<String> limited = server.getWithToken("/api/me", good);

      assertEquals(429, limited.statusCode());
      long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retryAfter > 3600 && retryAfter <= 7200,
          "Retry-After counts down the configured two hours, not the default minute: "
              + retryAfter);
    }
  }

  @Test
  void failureWindowSeconds_alone_keepsTheDefaultLimit() throws Exception {
    try (TestServer server = serve(Map.of("failure-window-seconds", "7200"))) {
      int limit = BearerTokenFilter.DEFAULT_FAILURE_LIMIT;
      for (int i = 0; i < limit; i++) {
        assertEquals(401, server.getWithToken("/api/me", unknown).statusCode(), "attempt " + i);
      }
      assertEquals(429, server.getWithToken("/api/me", unknown).statusCode());
    }
  }

  @Test
  void trustedProxies_makeTheForwardedAddressTheClient() throws Exception {
    try (TestServer server = serve(Map.of("trusted-proxies", "127.0.0.1", "failure-limit", "1"))) {
      assertEquals(Optional.of("203.0.113.7"), server.get("/api/me", "X-Forwarded-For",
          "203.0.113.7", "Authorization", "Bearer " + good).headers()
          .firstValue("X-Client-Address"));

      assertEquals(401, server.get("/api/me", "X-Forwarded-For", "203.0.113.7",
          "Authorization", "Bearer " + unknown).statusCode());
      assertEquals(429, server.get("/api/me", "X-Forwarded-For", "203.0.113.7",
          "Authorization", "Bearer " + good).statusCode(), "the forwarded address is limited");
      assertEquals(200, server.get("/api/me", "X-Forwarded-For", "198.51.100.9",
          "Authorization", "Bearer " + good).statusCode(),
          "another client behind the same proxy is not");
    }
  }

  @Test
  void withoutTrustedProxies_forwardingHeadersAreIgnored() throws Exception {
    try (TestServer server = serve(Map.of("failure-limit", "1"))) {
      assertEquals(401, server.get("/api/me", "X-Forwarded-For", "203.0.113.7",
          "Authorization", "Bearer " + unknown).statusCode());
      assertEquals(429, server.get("/api/me", "X-Forwarded-For", "198.51.100.9",
          "Authorization", "Bearer " + good).statusCode(),
          "both requests count against the peer, 127.0.0.1");
    }
  }

  @Test
  void forwardedHeader_readsThatHeaderAndNotTheOther() throws Exception {
    try (TestServer server = serve(Map.of("trusted-proxies", "127.0.0.1",
        "forwarded-header", "Forwarded"))) {
      HttpResponse<String> response = server.get("/api/me", "Forwarded", "for=203.0.113.7",
          "X-Forwarded-For", "192.0.2.99", "Authorization", "Bearer " + good);

      assertEquals(200, response.statusCode());
      assertEquals(Optional.of("203.0.113.7"), response.headers().firstValue("X-Client-Address"));
    }
  }

  @Test
  void sessionRateLimit_refusesASessionPastItsLimitWithItsWindow() throws Exception {
    try (TestServer server = serve(Map.of("session-rate-limit", "2",
        "session-rate-window-seconds", "7200"))) {
      assertEquals(200, server.getWithToken("/api/me", good).statusCode());
      assertEquals(200, server.getWithToken("/api/me", good).statusCode());
      HttpResponse<String> limited = server.getWithToken("/api/me", good);

      assertEquals(429, limited.statusCode(), "the third request of the session");
      long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retryAfter > 3600 && retryAfter <= 7200,
          "Retry-After counts down the configured two hours: " + retryAfter);
      assertEquals(200, server.getWithToken("/api/me", other).statusCode(),
          "another session keeps its own count");
    }
  }

  @Test
  void accessCookie_readsTheTokenFromThatCookie_andAllowedOriginsMayPost() throws Exception {
    try (TestServer server = serve(Map.of("access-cookie", "__Host-session",
        "allowed-origins", "https://app.example, https://admin.example:8443"))) {
      assertEquals(200, server.get("/api/me", "Cookie", "__Host-session=" + good).statusCode());
      assertEquals(401, server.get("/api/me", "Cookie", "__Host-tk_access=" + good).statusCode());
      HttpRequest.Builder post = server.request("/api/me")
          .POST(HttpRequest.BodyPublishers.noBody())
          .header("Cookie", "__Host-session=" + good).header("Sec-Fetch-Site", "cross-site");
      assertEquals(200, TestServer.send(post.copy()
          .header("Origin", "https://admin.example:8443")).statusCode());
      assertEquals(403, TestServer.send(post.copy()
          .header("Origin", "https://evil.example")).statusCode());
    }
  }

  @Test
  void cookieParams_bad_failNamingTheParameter() {
    assertTrue(failure(Map.of("token-service-attribute", "t", "access-cookie", "session"))
        .contains("init-param access-cookie: cookie name must start with __Host-"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "access-cookie", "__Host-s",
        "allowed-origins", "https://ok.example *"))
        .contains("init-param allowed-origins: allowed origin must be scheme://host[:port]"));
    assertTrue(failure(Map.of("token-service-attribute", "t",
        "allowed-origins", "https://ok.example"))
        .contains("init-param allowed-origins needs access-cookie"));
  }

  /** Jetty serving a filter configured from {@code params} plus the service attribute. */
  private TestServer serve(Map<String, String> params) throws Exception {
    Map<String, String> all = new LinkedHashMap<>(params);
    all.put("token-service-attribute", "tokens");
    BearerTokenFilter filter = new BearerTokenFilter();
    filter.init(config(all, context(Map.of("tokens", tokens))));
    return TestServer.start(filter);
  }

  private static HttpRequest.Builder form(TestServer server, String body) {
    return server.request("/api/items")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  @Test
  void init_withBadConfiguration_logsExactlyOneError() {
    CapturedLogs.clear();

    new BearerTokenFilter().init(config(Map.of("failure-limit", "3")));

    List<CapturedLogs.Line> errors = CapturedLogs.lines().stream()
        .filter(line -> line.level() == Level.ERROR).toList();
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).text().contains("filter 'bearer' is not configured"));
  }

  private static String failure(Map<String, String> params) {
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> InitParams.configure(config(params)));
    return e.getMessage();
  }

  private static FilterConfig config(Map<String, String> params) {
    return config(params, context(Map.of()));
  }

  /** A real (Jetty) servlet context holding {@code attributes}. */
  private static ServletContext context(Map<String, Object> attributes) {
    ServletContext context = new ServletContextHandler().getServletContext();
    attributes.forEach(context::setAttribute);
    return context;
  }

  private static FilterConfig config(Map<String, String> params, ServletContext context) {
    return new FilterConfig() {
      @Override
      public String getFilterName() {
        return "bearer";
      }

      @Override
      public ServletContext getServletContext() {
        return context;
      }

      @Override
      public String getInitParameter(String name) {
        return params.get(name);
      }

      @Override
      public Enumeration<String> getInitParameterNames() {
        return Collections.enumeration(params.keySet());
      }
    };
  }
}
