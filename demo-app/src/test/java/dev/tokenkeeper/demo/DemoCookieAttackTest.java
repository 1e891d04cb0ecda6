package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.servlet.TokenCookies;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the demo's cookie transport over a real Jetty, with raw sockets wherever a header
 * must be duplicated, emptied or misspelt: forged unsafe requests on every endpoint, forged
 * cookie logins and refreshes, swapped cookies, hostile Cookie headers, and a hunt for a token in
 * any answer. Every promise attacked here holds.
 */
class DemoCookieAttackTest {

  private static final String ACCESS = TokenCookies.DEFAULT_ACCESS_COOKIE;
  private static final String REFRESH = TokenCookies.DEFAULT_REFRESH_COOKIE;
  private static final String BINDER = TokenCookies.BINDER_COOKIE;
  private static final String LOGIN =
      "{\"username\":\"alice@example.com\",\"password\":\"wonderland\",\"transport\":\"cookie\"}";
  private static final String COOKIE_REFRESH = "{\"transport\":\"cookie\"}";
  private static final String FORBIDDEN =
      "{\"error\":\"forbidden\",\"error_description\":\"cross-origin request refused\"}";
  private static final Pattern TOKEN = Pattern.compile("tk[ar]_[A-Za-z0-9_-]{20,}");

  @TempDir Path dataDir;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final AtomicInteger passwordChecks = new AtomicInteger();
  private final CookieJar jar = new CookieJar();
  /** Every token the server has set in a cookie: none may show up anywhere else. */
  private final Set<String> issued = new LinkedHashSet<>();
  private DemoServer server;
  private DemoClient client;
  private int port;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false), clock,
        Map.of(), (user, password) -> {
          passwordChecks.incrementAndGet();
          return Accounts.verify(user, password);
        });
    client = new DemoClient(server.uri());
    port = server.port();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ------------------------------------------------------------------ helpers

  private HttpResponse<String> fromPage(String method, String path, String json) {
    List<String> headers = new ArrayList<>(List.of("Sec-Fetch-Site", "same-origin",
        "Origin", server.uri().toString()));
    if (!jar.header(path).isEmpty()) {
      headers.addAll(List.of("Cookie", jar.header(path)));
    }
    HttpResponse<String> response = jar.absorb(client.send(method, path, null, json,
        "Chrome (test)", headers.toArray(String[]::new)));
    for (String cookie : response.headers().allValues("Set-Cookie")) {
      Matcher token = TOKEN.matcher(cookie);
      if (token.find()) {
        issued.add(token.group());
      }
    }
    return response;
  }

  private void signIn() {
    HttpResponse<String> login = fromPage("POST", "/auth/login", LOGIN);
    assertEquals(200, login.statusCode(), login.body());
    assertNotNull(jar.value(ACCESS));
  }

  /** One raw HTTP/1.1 exchange; the whole answer as text. */
  static String exchange(int port, byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          answer.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        answer.write("<<no close within 15 s>>".getBytes(StandardCharsets.US_ASCII));
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private String raw(String method, String target, String json, String... lines)
      throws IOException {
    StringBuilder request = new StringBuilder(method).append(' ').append(target)
        .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port)
        .append("\r\nConnection: close\r\nUser-Agent: raw\r\n");
    for (String line : lines) {
      request.append(line).append("\r\n");
    }
    byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
    if (json != null) {
      request.append("Content-Type: application/json\r\n");
    }
    request.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    byte[] head = request.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return exchange(port, all);
  }

  static int status(String answer) {
    return answer.length() < 12 ? -1 : Integer.parseInt(answer.substring(9, 12));
  }

  static String body(String answer) {
    int at = answer.indexOf("\r\n\r\n");
    return at < 0 ? "" : answer.substring(at + 4);
  }

  private String cookieLine(String path) {
    return "Cookie: " + jar.header(path);
  }

  /** Header sets a forged request may carry (besides the cookie): none may pass. */
  private List<String[]> forgedHeaderSets() {
    String own = "http://127.0.0.1:" + port;
    return List.of(
        new String[] {},
        new String[] {"Origin: null"},
        new String[] {"Origin: https://evil.example", "Sec-Fetch-Site: cross-site"},
        new String[] {"Origin: http://127.0.0.1:1", "Sec-Fetch-Site: same-site"},
        new String[] {"Origin: http://localhost:" + port, "Sec-Fetch-Site: same-site"},
        new String[] {"Origin: " + own, "Sec-Fetch-Site: same-site"},
        new String[] {"Origin: " + own, "Sec-Fetch-Site: none"},
        new String[] {"Sec-Fetch-Site: none"},
        new String[] {"Origin: " + own + "/"},
        new String[] {"Origin: " + own, "Origin: https://evil.example"},
        new String[] {"Sec-Fetch-Site: same-origin", "Sec-Fetch-Site: cross-site"},
        new String[] {"Sec-Fetch-Site: same-origin, cross-site"},
        new String[] {"Sec-Fetch-Site: Same-Origin", "Origin: https://evil.example"},
        new String[] {"Origin: http://127.0.0.1:" + port + ".evil.example"},
        new String[] {"Origin: https://evil.example", "X-HTTP-Method-Override: GET"});
  }

  // ------------------------------------------------------------------ attacks

  @Test
  void forgedUnsafeRequests_onEveryEndpoint_are403_andChangeNothing() throws Exception {
    signIn();
    HttpResponse<String> created = fromPage("POST", "/api/proposals", "{\"title\":\"Mine\"}");
    assertEquals(201, created.statusCode());
    String id = DemoClient.json(created).get("id").asText();
    String session = DemoClient.json(fromPage("GET", "/auth/sessions", null))
        .get("sessions").get(0).get("id").asText();
    int checks = passwordChecks.get();

    List<String[]> targets = List.of(
        new String[] {"POST", "/api/proposals", "{\"title\":\"pwned\"}"},
        new String[] {"post", "/api/proposals", "{\"title\":\"pwned\"}"},
        new String[] {"PUT", "/api/proposals", "{\"title\":\"pwned\"}"},
        new String[] {"POST", "/api/proposals/" + id + "/collaborators",
            "{\"username\":\"bob@example.com\"}"},
        new String[] {"POST", "/auth/logout", null},
        new String[] {"POST", "/auth/logout-all", null},
        new String[] {"DELETE", "/auth/sessions/" + session, null},
        new String[] {"delete", "/auth/sessions/" + session, null},
        new String[] {"PATCH", "/auth/sessions/" + session, null},
        new String[] {"POST", "/auth/login", LOGIN},
        new String[] {"POST", "/auth/refresh", COOKIE_REFRESH});
    List<Executable> verdicts = new ArrayList<>();
    for (String[] target : targets) {
      for (String[] headers : forgedHeaderSets()) {
        List<String> lines = new ArrayList<>(List.of(cookieLine(target[1])));
        lines.addAll(List.of(headers));
        String answer = raw(target[0], target[1], target[2], lines.toArray(String[]::new));
        String what = target[0] + " " + target[1] + " " + List.of(headers);
        verdicts.add(() -> {
          assertEquals(403, status(answer), what + "\n" + answer);
          assertEquals(FORBIDDEN, body(answer), what);
        });
      }
    }
    assertAll(verdicts);

    assertEquals(checks, passwordChecks.get(), "a forged cookie login reached the password check");
    JsonNode proposals = DemoClient.json(fromPage("GET", "/api/proposals", null));
    assertEquals(1, proposals.get("proposals").size(), proposals.toString());
    assertEquals(0, proposals.get("proposals").get(0).get("collaborators").size());
    JsonNode sessions = DemoClient.json(fromPage("GET", "/auth/sessions", null));
    assertEquals(1, sessions.get("sessions").size(), "a forged login added a session");
    assertEquals(session, sessions.get("sessions").get(0).get("id").asText());
    // The refresh token was never rotated by a forgery: the page's own refresh still works.
    assertEquals(200, fromPage("POST", "/auth/refresh", COOKIE_REFRESH).statusCode());
  }

  @Test
  void swappedCookies_refreshAsAccessAndAccessAsRefresh_get4xx_andNeverAuthenticate()
      throws Exception {
    signIn();
    String access = jar.value(ACCESS);
    String refresh = jar.value(REFRESH);

    String refreshAsAccess = raw("GET", "/api/proposals", null,
        "Cookie: " + ACCESS + "=" + refresh);
    assertEquals(401, status(refreshAsAccess), refreshAsAccess);
    String refreshAsAccessPost = raw("POST", "/api/proposals", "{\"title\":\"x\"}",
        "Cookie: " + ACCESS + "=" + refresh, "Sec-Fetch-Site: same-origin");
    assertEquals(401, status(refreshAsAccessPost), refreshAsAccessPost);

    String accessAsRefresh = raw("POST", "/auth/refresh", COOKIE_REFRESH,
        "Cookie: " + REFRESH + "=" + access, "Sec-Fetch-Site: same-origin");
    assertEquals(400, status(accessAsRefresh), accessAsRefresh);
    assertTrue(body(accessAsRefresh).contains("invalid_grant"), accessAsRefresh);

    // Two refresh cookies (the browser's and a planted one) and no binder: refused, not guessed.
    String twoRefresh = raw("POST", "/auth/refresh", COOKIE_REFRESH,
        "Cookie: " + REFRESH + "=" + refresh + "; " + REFRESH + "=tkr_planted",
        "Sec-Fetch-Site: same-origin");
    assertEquals(400, status(twoRefresh), twoRefresh);
    // Neither attempt spent or revoked the real session.
    assertEquals(200, fromPage("GET", "/api/proposals", null).statusCode());
    assertEquals(200, fromPage("POST", "/auth/refresh", COOKIE_REFRESH).statusCode());
  }

  @Test
  void cookieMode_neverPutsATokenInABody_andSetsEveryCookieStrictly() throws Exception {
    List<HttpResponse<String>> answers = new ArrayList<>();
    answers.add(fromPage("POST", "/auth/login", LOGIN));
    String firstRefresh = jar.value(REFRESH);
    String firstBinder = jar.value(BINDER);
    answers.add(fromPage("POST", "/auth/refresh", COOKIE_REFRESH));
    // The same refresh token again within the grace window: the same pair, in cookies again.
    answers.add(jar.absorb(client.send("POST", "/auth/refresh", null, COOKIE_REFRESH, "x",
        "Sec-Fetch-Site", "same-origin", "Cookie",
        REFRESH + "=" + firstRefresh + "; " + BINDER + "=" + firstBinder)));
    answers.add(fromPage("GET", "/auth/sessions", null));
    answers.add(fromPage("GET", "/api/proposals", null));
    answers.add(fromPage("POST", "/api/proposals", "{\"title\":\"t\"}"));
    answers.add(fromPage("POST", "/auth/refresh",
        "{\"transport\":\"cookie\",\"refresh_token\":\"" + jar.value(REFRESH) + "\"}"));
    answers.add(fromPage("POST", "/auth/logout", null));
    answers.add(fromPage("POST", "/auth/login", LOGIN));
    answers.add(fromPage("POST", "/auth/logout-all", null));
    answers.add(fromPage("POST", "/auth/login", LOGIN));
    String session = DemoClient.json(answers.get(answers.size() - 1)).get("session_id").asText();
    answers.add(fromPage("DELETE", "/auth/sessions/" + session, null));
    clock.advance(Duration.ofSeconds(30));
    // A rotated refresh token replayed after the grace: refused, cookies cleared.
    answers.add(client.send("POST", "/auth/refresh", null, COOKIE_REFRESH, "x",
        "Sec-Fetch-Site", "same-origin", "Cookie",
        REFRESH + "=" + firstRefresh + "; " + BINDER + "=" + firstBinder));

    assertTrue(issued.size() >= 8, issued.toString());
    List<Executable> checks = new ArrayList<>();
    for (HttpResponse<String> answer : answers) {
      String what = answer.request().method() + " " + answer.uri().getPath() + " "
          + answer.statusCode();
      checks.add(() -> assertFalse(TOKEN.matcher(answer.body()).find(),
          what + ": a token in the body " + answer.body()));
      for (String cookie : answer.headers().allValues("Set-Cookie")) {
        if (cookie.startsWith(DeviceCookies.NAME + "=")) {
          continue;
        }
        checks.add(() -> {
          String lower = cookie.toLowerCase(Locale.ROOT);
          assertTrue(lower.contains("; secure") && lower.contains("; httponly")
              && lower.contains("; samesite=strict"), what + ": " + cookie);
          if (cookie.startsWith(ACCESS + "=")) {
            assertTrue(cookie.contains("; Path=/;"), what + ": " + cookie);
          } else if (cookie.startsWith(BINDER + "=")) {
            assertTrue(cookie.contains("; Path=/;"), what + ": " + cookie);
          } else {
            assertTrue(cookie.startsWith(REFRESH + "=")
                && cookie.contains("; Path=/auth/refresh;"), what + ": " + cookie);
          }
        });
      }
    }
    // Each end of a session clears both cookies.
    for (int i : List.of(7, 9, 11, 12)) {
      HttpResponse<String> end = answers.get(i);
      checks.add(() -> assertEquals(List.of(
              ACCESS + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
              REFRESH + "=; Path=/auth/refresh; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
              BINDER + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict"),
          end.headers().allValues("Set-Cookie"), end.uri() + " " + end.statusCode()));
    }
    assertAll(checks);
  }

  @Test
  void safeAndOddMethodsCarryingTheCookie_neverEchoTheToken() throws Exception {
    signIn();
    List<Executable> checks = new ArrayList<>();
    for (String method : List.of("TRACE", "OPTIONS", "HEAD", "GET", "PROPFIND", "get")) {
      for (String path : List.of("/api/proposals", "/auth/sessions", "/auth/refresh", "/health",
          "/", "/app.js", "/nope", "/auth/refresh/x")) {
        String answer = raw(method, path, null, cookieLine(path),
            "Origin: https://evil.example", "Sec-Fetch-Site: cross-site");
        checks.add(() -> {
          assertFalse(answer.contains(jar.value(ACCESS)) || answer.contains(jar.value(REFRESH)),
              method + " " + path + " echoed a token:\n" + answer);
          assertTrue(status(answer) >= 200 && status(answer) < 500, method + " " + path
              + "\n" + answer);
        });
      }
    }
    assertAll(checks);
  }

  @Test
  void hostileCookieHeaders_onTheCookieEndpoints_get4xx_neverA5xx() throws Exception {
    signIn();
    String access = jar.value(ACCESS);
    List<String> cookies = new ArrayList<>(List.of("", ";", "=", "==;==", ACCESS, ACCESS + "=",
        REFRESH, REFRESH + "=", REFRESH + "=\"\"", REFRESH + "=\"tkr_", REFRESH + "=tkr_"
            + "A".repeat(4000), REFRESH + "=tkr_\u00e9", REFRESH + "=a b",
        REFRESH + "=%74%6b%72%5f", ACCESS + "=" + access + "; " + ACCESS,
        "$Version=1; " + REFRESH + "=\"tkr_x\"; $Path=/auth/refresh",
        REFRESH + "=x; " + REFRESH + "=y; " + REFRESH + "=z",
        String.join("; ", Collections.nCopies(200, REFRESH + "=tkr_x"))));
    List<Executable> checks = new ArrayList<>();
    for (String cookie : cookies) {
      for (String[] target : List.of(new String[] {"POST", "/auth/refresh", COOKIE_REFRESH},
          new String[] {"POST", "/auth/login", LOGIN}, new String[] {"GET", "/api/proposals",
              null}, new String[] {"POST", "/auth/logout", null})) {
        String answer = raw(target[0], target[1], target[2], "Cookie: " + cookie,
            "Sec-Fetch-Site: same-origin");
        String what = target[0] + " " + target[1] + " Cookie: "
            + (cookie.length() > 80 ? cookie.substring(0, 80) + "..." : cookie);
        checks.add(() -> {
          int code = status(answer);
          boolean legit = code == 200 || code == 204;
          assertTrue(legit || code >= 400 && code < 500, what + "\n" + answer);
          assertFalse(answer.contains("<<no close") || answer.contains("Exception")
              || answer.contains("at dev.") || answer.contains("at org."), what + "\n" + answer);
          assertTrue(body(answer).isEmpty() || body(answer).startsWith("{"), what + "\n"
              + answer);
        });
      }
    }
    assertAll(checks);
  }

  @Test
  void htmlInTheUserAgent_isStoredAsAPlainLabel_servedAsNosniffJson() throws Exception {
    String payload = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'&";
    HttpResponse<String> login = jar.absorb(client.send("POST", "/auth/login", null, LOGIN,
        payload, "Sec-Fetch-Site", "same-origin"));
    assertEquals(200, login.statusCode(), login.body());
    HttpResponse<String> sessions = fromPage("GET", "/auth/sessions", null);
    assertEquals("application/json;charset=utf-8",
        sessions.headers().firstValue("Content-Type").orElse(""));
    assertEquals("nosniff", sessions.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertEquals(payload,
        DemoClient.json(sessions).get("sessions").get(0).get("label").asText());
  }

  @Test
  void malformedTransportFields_get400_neverA5xx() throws Exception {
    List<Executable> checks = new ArrayList<>();
    for (String transport : List.of("[\"cookie\"]", "{}", "null", "\"cookie\\u0000\"",
        "\"Cookie\"", "\"COOKIE\"", "\"\"", "\" cookie\"", "1e999", "true",
        "\"" + "cookie".repeat(100) + "\"")) {
      for (String path : List.of("/auth/login", "/auth/refresh")) {
        String json = "{\"username\":\"alice@example.com\",\"password\":\"wonderland\","
            + "\"transport\":" + transport + "}";
        String answer = raw("POST", path, json, "Sec-Fetch-Site: same-origin");
        checks.add(() -> {
          assertEquals(400, status(answer), path + " " + transport + "\n" + answer);
          assertFalse(answer.toLowerCase(Locale.ROOT).contains("set-cookie: __"),
              path + " " + transport + " set a token cookie");
        });
      }
    }
    assertAll(checks);
  }
}
