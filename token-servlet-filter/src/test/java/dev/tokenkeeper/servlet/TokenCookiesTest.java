package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.Test;

/** The cookies' exact attributes, the builder's checks, and reading the refresh cookie. */
class TokenCookiesTest {

  private static final String TOKEN = "tk_abcDEF123-_.~+/=";
  private final TokenCookies cookies = TokenCookies.builder().build();

  @Test
  void accessCookie_isHostPrefixedHttpOnlySecureStrictForTheWholeSite() {
    assertEquals("__Host-tk_access=" + TOKEN
            + "; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict",
        cookies.accessCookie(TOKEN, Duration.ofHours(1)));
  }

  @Test
  void refreshCookies_areTheRefreshCookieAtItsPath_andAHostBinderNamingIt() {
    List<String> set = cookies.refreshCookies(TOKEN, Duration.ofDays(7));
    assertEquals(2, set.size(), set.toString());
    assertEquals("__Secure-tk_refresh=" + TOKEN
            + "; Path=/auth/refresh; Max-Age=604800; Secure; HttpOnly; SameSite=Strict",
        set.get(0));
    String binder = set.get(1);
    assertTrue(binder.matches("__Host-tk_bind=[A-Za-z0-9_-]{43}"
        + "; Path=/; Max-Age=604800; Secure; HttpOnly; SameSite=Strict"), binder);
    assertFalse(binder.contains(TOKEN));
    assertEquals(binder, cookies.refreshCookies(TOKEN, Duration.ofDays(7)).get(1));
    assertNotEquals(binder, cookies.refreshCookies("tk_other", Duration.ofDays(7)).get(1));
    assertEquals("__Secure-r=" + TOKEN + "; Path=/session/renew; Max-Age=59; Secure; HttpOnly;"
            + " SameSite=Strict",
        TokenCookies.builder().refreshCookie("__Secure-r").refreshPath("/session/renew").build()
            .refreshCookies(TOKEN, Duration.ofMillis(59_999)).get(0));
  }

  @Test
  void clearingCookies_expireAllThreeWithTheSameScope() {
    assertEquals(List.of(
            "__Host-tk_access=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
            "__Secure-tk_refresh=; Path=/auth/refresh; Max-Age=0; Secure; HttpOnly;"
                + " SameSite=Strict",
            "__Host-tk_bind=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict"),
        cookies.clearingCookies());
  }

  @Test
  void cookie_withValueACookieCannotHold_throwsWithoutEchoingIt() {
    for (String bad : List.of("", "a;b", "a b", "a,b", "a\"b", "tk_\u00e9")) {
      String message = assertThrows(IllegalArgumentException.class,
          () -> cookies.accessCookie(bad, Duration.ofHours(1))).getMessage();
      assertEquals("token is not an RFC 6750 b64token (value withheld)", message);
    }
    assertEquals("maxAge must be at least one second: PT0.999S", assertThrows(
        IllegalArgumentException.class,
        () -> cookies.refreshCookies(TOKEN, Duration.ofMillis(999))).getMessage());
    assertThrows(NullPointerException.class, () -> cookies.accessCookie(null, Duration.ZERO));
  }

  @Test
  void builder_names_needTheirPrefixAndTokenCharacters() {
    assertEquals("cookie name must start with __Host- and go on: tk_access", assertThrows(
        IllegalArgumentException.class,
        () -> TokenCookies.builder().accessCookie("tk_access")).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TokenCookies.builder().accessCookie("__Host-"));
    assertThrows(IllegalArgumentException.class,
        () -> TokenCookies.builder().accessCookie("__Secure-tk"));
    assertEquals("cookie name must start with __Secure- and go on: __Host-r", assertThrows(
        IllegalArgumentException.class,
        () -> TokenCookies.builder().refreshCookie("__Host-r")).getMessage());
    assertEquals("cookie name must be an HTTP token: U+003D at index 8", assertThrows(
        IllegalArgumentException.class,
        () -> TokenCookies.builder().accessCookie("__Host-a=b")).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TokenCookies.builder().accessCookie("__Host-a;b"));
  }

  @Test
  void builder_refreshPath_mustBeANarrowNormalisedPath() {
    assertEquals("refreshPath \"/\" would send the refresh token with every request",
        assertThrows(IllegalArgumentException.class,
            () -> TokenCookies.builder().refreshPath("/")).getMessage());
    for (String bad : List.of("auth/refresh", "/a;b", "/a/../b", "/a b", "/a/*", "/a?x", "")) {
      assertThrows(IllegalArgumentException.class,
          () -> TokenCookies.builder().refreshPath(bad), bad);
    }
  }

  @Test
  void builder_allowedOrigins_mustBeOrigins() {
    for (String bad : List.of("*", "null", "https://app.example/", "https://app.example/x",
        "ftp://app.example", "https://user@app.example", "app.example", "https://app.example?x",
        "")) {
      assertEquals("allowed origin must be scheme://host[:port] (http or https): " + bad,
          assertThrows(IllegalArgumentException.class,
              () -> TokenCookies.builder().allowedOrigins(bad)).getMessage());
    }
    assertThrows(NullPointerException.class,
        () -> TokenCookies.builder().allowedOrigins("https://a.example", null));
  }

  @Test
  void builder_eachOptionOnce() {
    TokenCookies.Builder builder = TokenCookies.builder().accessCookie("__Host-a")
        .refreshCookie("__Secure-r").refreshPath("/r").allowedOrigins();
    assertEquals("accessCookie was already set", assertThrows(IllegalStateException.class,
        () -> builder.accessCookie("__Host-b")).getMessage());
    assertThrows(IllegalStateException.class, () -> builder.refreshCookie("__Secure-s"));
    assertThrows(IllegalStateException.class, () -> builder.refreshPath("/s"));
    assertThrows(IllegalStateException.class, () -> builder.allowedOrigins("https://a.example"));
    assertThrows(IllegalStateException.class, () -> BearerTokenFilter.builder(
        dev.tokenkeeper.core.TokenService.builder()
            .store(new dev.tokenkeeper.core.InMemoryTokenStore()).build())
        .cookies(cookies).cookies(cookies));
  }

  @Test
  void origin_parse_readsWhatBrowsersSend_andNothingElse() {
    assertEquals(new Origin("https", "app.example", 443), Origin.parse("https://App.Example"));
    assertEquals(Origin.parse("https://app.example"), Origin.parse("https://app.example:443"));
    assertEquals(new Origin("http", "::1", 8080), Origin.parse("http://[::1]:8080"));
    assertEquals("http://[::1]:8080", Origin.parse("http://[::1]:8080").toString());
    assertEquals("https://app.example", Origin.parse("https://app.example:443").toString());
    for (String bad : List.of("null", "file://", "https://", "https://a.example:x",
        "https://a.example#f", "data:text/html,x", "https://a b", "x".repeat(600))) {
      assertNull(Origin.parse(bad), bad);
    }
  }

  @Test
  void refreshToken_readsOneRefreshCookie_noneOrSeveralAreEmpty() throws Exception {
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void service(HttpServletRequest request, HttpServletResponse response)
          throws IOException {
        String body = cookies.refreshToken(request).orElse("(none)") + " "
            + cookies.acceptsOrigin(request);
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
      }
    }), "/*");
    String bind1 = binderOf("tk_r1");
    String bind2 = binderOf("tk_r2");
    try (TestServer server = TestServer.start(context)) {
      assertEquals("tk_r1 true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1; other=x; __Host-tk_bind=" + bind1).body());
      assertEquals("(none) true", server.get("/auth/refresh").body());
      // No binder, or one naming another token: a planted refresh cookie is never taken.
      assertEquals("(none) true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1").body());
      assertEquals("(none) true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1; __Host-tk_bind=" + bind2).body());
      assertEquals("(none) true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1; __Host-tk_bind=" + bind1 + "; __Host-tk_bind="
              + bind2).body());
      assertEquals("(none) true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1; __Host-tk_bind=tk_r1").body());
      // Several refresh cookies (one planted by a sibling subdomain): the bound one, either order.
      assertEquals("tk_r2 true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1; __Secure-tk_refresh=tk_r2; __Host-tk_bind="
              + bind2).body());
      assertEquals("tk_r1 true", server.get("/auth/refresh",
          "Cookie", "__Secure-tk_refresh=tk_r1; __Secure-tk_refresh=tk_r2; __Host-tk_bind="
              + bind1).body());
      assertEquals("(none) true", server.get("/auth/refresh",
          "Cookie", "__Host-tk_access=tk_r1; __Host-tk_bind=" + bind1).body());
      assertEquals("tk_r1 false", TestServer.send(server.request("/auth/refresh")
          .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
          .header("Cookie", "__Secure-tk_refresh=tk_r1; __Host-tk_bind=" + bind1)
          .header("Origin", "http://127.0.0.1:1").header("Sec-Fetch-Site", "same-site"))
          .body());
      assertFalse(cookies.toString().contains("tk_r1"));
    }
  }

  /** The binder cookie's value that {@link TokenCookies#refreshCookies} writes for {@code token}. */
  private String binderOf(String token) {
    String set = cookies.refreshCookies(token, Duration.ofHours(1)).get(1);
    return set.substring(set.indexOf('=') + 1, set.indexOf(';'));
  }
}
