package dev.tokenkeeper.servlet;

import static dev.tokenkeeper.servlet.CookieCsrfAttackTest.body;
import static dev.tokenkeeper.servlet.CookieCsrfAttackTest.exchange;
import static dev.tokenkeeper.servlet.CookieCsrfAttackTest.head;
import static dev.tokenkeeper.servlet.CookieCsrfAttackTest.status;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Attacks on the cookie transport's secrecy and on "Bearer requests are unaffected", through a
 * real Jetty: does a token carried by the cookie ever come back in a response body or reach a
 * log line, and does turning cookies on change a single Bearer answer?
 */
class CookieSecrecyAttackTest {

  private static final String COOKIE = TokenCookies.DEFAULT_ACCESS_COOKIE;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final TokenService tokens =
      TokenService.builder().store(new InMemoryTokenStore()).clock(clock).build();

  /** An ordinary application servlet: it implements GET only, as most do. */
  public static final class PlainServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain");
      response.getOutputStream().write(("hello " + request.getRemoteUser())
          .getBytes(StandardCharsets.UTF_8));
    }
  }

  private static TestServer plainApp(BearerTokenFilter filter) throws Exception {
    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder(new PlainServlet()), "/*");
    return TestServer.start(context);
  }

  private static int port(TestServer server) {
    return server.request("/").build().uri().getPort();
  }

  private static String raw(TestServer server, String method, String target, String... lines)
      throws IOException {
    StringBuilder request = new StringBuilder(method).append(' ').append(target)
        .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port(server))
        .append("\r\nConnection: close\r\n");
    for (String line : lines) {
      request.append(line).append("\r\n");
    }
    request.append("Content-Length: 0\r\n\r\n");
    return exchange(port(server), request.toString());
  }

  /**
   * BROKEN PROMISE (low severity): "tokens never appear in a response body in cookie mode".
   * TRACE is on the filter's safe list, so a TRACE carried by the access cookie is authenticated
   * and handed to the application, from any origin, unchecked. An ordinary servlet that does not
   * override doTrace answers with Servlet's default doTrace, which echoes every request header,
   * the Cookie header included: the HttpOnly token comes back in the body. Without cookie mode the
   * same request is a 401 and nothing is echoed. (Browsers' fetch/XHR refuse TRACE today, so this
   * is cross-site tracing only for clients or proxies that still send it.)
   */
  @Test
  void trace_carriedByTheCookie_isEchoedWithTheTokenByAPlainServlet() throws Exception {
    String token = tokens.issue("alice").plaintext();
    try (TestServer withCookies = plainApp(BearerTokenFilter.builder(tokens)
            .cookies(TokenCookies.builder().build()).build());
        TestServer without = plainApp(BearerTokenFilter.builder(tokens).build())) {
      String[] lines = {"Cookie: " + COOKIE + "=" + token, "Origin: https://evil.example",
          "Sec-Fetch-Site: cross-site"};
      String before = raw(without, "TRACE", "/api/me", lines);
      assertEquals(401, status(before), before);

      String answer = raw(withCookies, "TRACE", "/api/me", lines);
      assertFalse(body(answer).contains(token),
          "TRACE echoed the HttpOnly access cookie in the body: " + status(answer) + "\n"
              + body(answer));
    }
  }

  /** Promise held: with cookies on, every Bearer request is answered exactly as before. */
  @Test
  void bearerRequests_areAnsweredExactlyAsWithoutCookieMode() throws Exception {
    String alice = tokens.issue("alice").plaintext();
    String bob = tokens.issue("bob").plaintext();
    String revoked = tokens.issue("carol").plaintext();
    tokens.revoke(revoked);
    try (TestServer withCookies = TestServer.start(BearerTokenFilter.builder(tokens)
            .cookies(TokenCookies.builder().allowedOrigins("https://app.example").build())
            .failureLimit(10_000, Duration.ofMinutes(1)).build());
        TestServer without = TestServer.start(BearerTokenFilter.builder(tokens)
            .failureLimit(10_000, Duration.ofMinutes(1)).build())) {
      List<String[]> auths = List.of(
          new String[] {"Authorization: Bearer " + alice},
          new String[] {"Authorization: bearer   " + alice},
          new String[] {"Authorization: Bearer " + revoked},
          new String[] {"Authorization: Bearer tk_unknown"},
          new String[] {"Authorization: Bearer a b"},
          new String[] {"Authorization: Bearer"},
          new String[] {"Authorization: Bearer\t" + alice},
          new String[] {"Authorization: Bearer " + alice, "Authorization: Bearer " + alice});
      List<String[]> cookies = List.of(new String[] {},
          new String[] {"Cookie: " + COOKIE + "=" + bob},
          new String[] {"Cookie: " + COOKIE + "=" + bob + "; " + COOKIE + "=" + bob},
          new String[] {"Cookie: " + COOKIE + "=garbage!"},
          new String[] {"Cookie: " + COOKIE + "=" + bob, "Origin: https://evil.example",
              "Sec-Fetch-Site: cross-site"},
          new String[] {"Cookie: " + COOKIE + "=" + bob, "Sec-Fetch-Site: same-origin"});
      List<Executable> checks = new ArrayList<>();
      for (String method : List.of("GET", "POST", "DELETE")) {
        for (String target : List.of("/api/x", "/api/x?access_token=" + alice)) {
          for (String[] auth : auths) {
            for (String[] cookie : cookies) {
              List<String> lines = new ArrayList<>(List.of(auth));
              lines.addAll(List.of(cookie));
              String[] all = lines.toArray(String[]::new);
              String a = raw(withCookies, method, target, all);
              String b = raw(without, method, target, all);
              String what = method + " " + target + " " + lines;
              checks.add(() -> assertEquals(summary(b), summary(a), what));
            }
          }
        }
      }
      assertAll(checks);
    }
  }

  /** Status, the headers that matter, and the body. */
  private static String summary(String answer) {
    StringBuilder out = new StringBuilder().append(status(answer)).append('\n');
    for (String line : head(answer).split("\r\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("www-authenticate") || lower.startsWith("cache-control")
          || lower.startsWith("content-type") || lower.startsWith("retry-after")
          || lower.startsWith("set-cookie")) {
        out.append(line).append('\n');
      }
    }
    return out.append(body(answer)).toString();
  }

  /**
   * Promise held: a token carried by the cookie never reaches a log line (any level, any logger,
   * Jetty's included) nor any response, on every path the cookie can take.
   */
  @Test
  void cookieTokens_neverReachALogLineOrAResponse() throws Exception {
    String good = tokens.issue("alice").plaintext();
    String revoked = tokens.issue("bob").plaintext();
    tokens.revoke(revoked);
    String expiring = tokens.issue("carol").plaintext();
    String unknown = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();
    String ungrammatical = "secret$cookie$value$with$illegal$characters";
    String second = tokens.issue("dave").plaintext();
    List<String> secrets = List.of(good, revoked, expiring, unknown, ungrammatical, second);
    List<String> answers = new ArrayList<>();
    CapturedLogs.clear();
    try (TestServer server = TestServer.start(BearerTokenFilter.builder(tokens)
        .cookies(TokenCookies.builder().build())
        .failureLimit(7, Duration.ofMinutes(1)).build())) {
      answers.add(raw(server, "GET", "/api", "Cookie: " + COOKIE + "=" + good));
      answers.add(raw(server, "POST", "/api", "Cookie: " + COOKIE + "=" + good,
          "Origin: https://evil.example", "Sec-Fetch-Site: cross-site"));
      answers.add(raw(server, "GET", "/api", "Cookie: " + COOKIE + "=" + revoked));
      answers.add(raw(server, "GET", "/api", "Cookie: " + COOKIE + "=" + unknown));
      answers.add(raw(server, "GET", "/api", "Cookie: " + COOKIE + "=" + ungrammatical));
      answers.add(raw(server, "GET", "/api",
          "Cookie: " + COOKIE + "=" + good + "; " + COOKIE + "=" + second));
      clock.advance(TokenService.DEFAULT_ABSOLUTE_TTL.plusSeconds(1));
      answers.add(raw(server, "GET", "/api", "Cookie: " + COOKIE + "=" + expiring));
      for (int i = 0; i < 4; i++) {
        answers.add(raw(server, "GET", "/api", "Cookie: " + COOKIE + "=" + unknown));
      }
    }
    TokenService broken = TokenService.builder().store(new FailingTokenStore()).build();
    try (TestServer failing = TestServer.start(BearerTokenFilter.builder(broken)
        .cookies(TokenCookies.builder().build()).build())) {
      answers.add(raw(failing, "GET", "/api", "Cookie: " + COOKIE + "=" + second));
    }
    assertEquals(List.of(200, 403, 401, 401, 401, 400, 401, 401, 401, 429, 429, 503),
        answers.stream().map(CookieCsrfAttackTest::status).toList());

    List<CapturedLogs.Line> lines = CapturedLogs.lines();
    assertFalse(lines.isEmpty(), "nothing was logged: the capture is not wired");
    List<Executable> checks = new ArrayList<>();
    for (String secret : secrets) {
      List<String> needles = new ArrayList<>(List.of(secret,
          HexFormat.of().formatHex(TokenHash.sha256(secret).bytes())));
      if (secret.length() > 24) {
        needles.add(secret.substring(8, secret.length() - 8));
      }
      for (String needle : needles) {
        for (CapturedLogs.Line line : lines) {
          checks.add(() -> assertFalse(line.text().contains(needle),
              "a log line holds a cookie token: " + line.logger() + " " + line.level()));
        }
        for (String answer : answers) {
          checks.add(() -> assertFalse(answer.contains(needle),
              "a response holds a cookie token: " + head(answer)));
        }
      }
    }
    assertAll(checks);
  }
}
