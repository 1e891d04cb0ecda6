package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Attacks on the cookie transport's forgery defence (README "Forged requests (CSRF)"), sent over
 * raw sockets to a real Jetty so that every header can be duplicated, emptied or misspelt the way
 * no well-behaved client would. Promise under attack: an unsafe request carried by the access
 * cookie passes only with {@code Sec-Fetch-Site: same-origin}, an allowed {@code Origin}, or
 * (no {@code Sec-Fetch-Site}) the request's own {@code Origin}; everything else gets 403
 * {@code forbidden} before any store lookup. All of these hold.
 */
class CookieCsrfAttackTest {

  private static final String COOKIE = TokenCookies.DEFAULT_ACCESS_COOKIE;
  private static final String FORBIDDEN_BODY =
      "{\"error\":\"forbidden\",\"error_description\":\"cross-origin request refused\"}";

  private final MutableClock clock = MutableClock.startingAt2026();
  private final CountingTokenStore store = new CountingTokenStore();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock).build();
  private final String alice = tokens.issue("alice").plaintext();
  private TestServer server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .cookies(TokenCookies.builder().allowedOrigins("https://app.example.com").build())
        .failureLimit(10_000, Duration.ofMinutes(1))
        .clock(clock)
        .build());
    port = server.request("/").build().uri().getPort();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ---------------------------------------------------------------- raw HTTP/1.1

  /** One raw exchange: the answer's status line, headers and body as text. */
  static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          answer.write(buffer, 0, n);
        }
      } catch (java.net.SocketTimeoutException e) {
        answer.write("<<no close within 10 s>>".getBytes(StandardCharsets.US_ASCII));
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }

  static int status(String answer) {
    return Integer.parseInt(answer.substring(9, 12));
  }

  static String body(String answer) {
    int at = answer.indexOf("\r\n\r\n");
    return at < 0 ? "" : answer.substring(at + 4);
  }

  static String head(String answer) {
    int at = answer.indexOf("\r\n\r\n");
    return at < 0 ? answer : answer.substring(0, at);
  }

  /** {@code method} on {@code /api/x} with the header lines given (each "Name: value"). */
  private String send(String method, String... lines) throws IOException {
    return sendTo(method, "/api/x", lines);
  }

  private String sendTo(String method, String target, String... lines) throws IOException {
    StringBuilder request = new StringBuilder(method).append(' ').append(target)
        .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port).append("\r\nConnection: close\r\n");
    for (String line : lines) {
      request.append(line).append("\r\n");
    }
    request.append("Content-Length: 0\r\n\r\n");
    return exchange(port, request.toString());
  }

  private String own() {
    return "http://127.0.0.1:" + port;
  }

  private void assertForbidden(String what, String answer) {
    assertEquals(403, status(answer), what + "\n" + answer);
    assertEquals(FORBIDDEN_BODY, body(answer), what);
    assertFalse(head(answer).toLowerCase().contains("www-authenticate"), what);
  }

  /**
   * A refused request whose body the filter never reads is answered with {@code Connection:
   * close}, and the connection closes after the answer, though the client asked to keep it: a
   * client left to reuse it would send its next request into a connection the container may
   * close as it skips the unread body.
   */
  @Test
  void aRefusalOfARequestWithABody_closesItsConnection_andSaysSo() throws Exception {
    for (String cookie : List.of("Cookie: " + COOKIE + "=" + alice, "X-No-Credentials: 1")) {
      String answer = exchange(port, "POST /api/x HTTP/1.1\r\nHost: 127.0.0.1:" + port
          + "\r\nConnection: keep-alive\r\n" + cookie + "\r\nOrigin: https://evil.example\r\n"
          + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n"
          + "title=pwned");
      assertTrue(status(answer) == 403 || status(answer) == 401, answer);
      assertTrue(head(answer).toLowerCase().contains("\r\nconnection: close"), answer);
      assertFalse(answer.contains("<<no close within"), answer);
    }
  }

  /**
   * A refused chunked request says {@code Connection: close} and closes too, whether its body
   * follows at once or waits for {@code 100 Continue}; a refused request with
   * {@code Content-Length: 0} keeps its connection, and the request pipelined behind it is
   * answered on it, after the refusal and apart from it.
   */
  @Test
  void aChunkedRefusalCloses_whileARefusalWithoutABodyKeepsItsConnectionForTheNext()
      throws Exception {
    String host = "Host: 127.0.0.1:" + port + "\r\n";
    for (String chunked : List.of("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")) {
      String answer = exchange(port, "POST /api/x HTTP/1.1\r\n" + host + chunked);
      assertEquals(401, status(answer), answer);
      assertTrue(head(answer).toLowerCase().contains("\r\nconnection: close"), answer);
      assertTrue(body(answer).startsWith("{\"error\":\"unauthorized\""), answer);
      assertFalse(answer.contains("<<no close within"), answer);
    }
    String both = exchange(port, "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n"
        + "GET /api/y HTTP/1.1\r\n" + host + "Authorization: Bearer " + alice
        + "\r\nConnection: close\r\n\r\n");
    assertEquals(401, status(both), both);
    assertFalse(head(both).toLowerCase().contains("connection: close"), both);
    int second = both.indexOf("HTTP/1.1 ", 1);
    assertTrue(second > 0, both);
    String next = both.substring(second);
    assertEquals(200, status(next), both);
    assertTrue(body(next).contains("remoteUser=alice"), both);
  }

  // ---------------------------------------------------------------- methods

  @Test
  void everyUnsafeMethod_includingOddCasing_fromAnotherOrigin_is403BeforeAnyLookup()
      throws Exception {
    int finds = store.finds();
    List<Executable> checks = new ArrayList<>();
    for (String method : List.of("POST", "PUT", "PATCH", "DELETE", "PROPFIND", "MKCOL", "LOCK",
        "COPY", "MOVE", "SEARCH", "QUERY", "FOO", "post", "Post", "pOST", "delete", "get", "Get",
        "head", "options", "trace")) {
      for (String[] headers : List.of(
          new String[] {"Origin: https://evil.example", "Sec-Fetch-Site: cross-site"},
          new String[] {"Origin: http://127.0.0.1:1", "Sec-Fetch-Site: same-site"},
          new String[] {})) {
        List<String> lines = new ArrayList<>(List.of("Cookie: " + COOKIE + "=" + alice));
        lines.addAll(List.of(headers));
        String answer = send(method, lines.toArray(String[]::new));
        checks.add(() -> assertForbidden(method + " " + List.of(headers), answer));
      }
    }
    assertAll(checks);
    assertEquals(finds, store.finds(), "a forged request reached the store");
  }

  @Test
  void methodOverrideHeadersAndParameters_doNotMakeAForgedPostSafe() throws Exception {
    for (String override : List.of("X-HTTP-Method-Override: GET", "X-HTTP-Method: GET",
        "X-Method-Override: GET", "X-HTTP-Method-Override: HEAD")) {
      assertForbidden(override, send("POST", "Cookie: " + COOKIE + "=" + alice,
          "Origin: https://evil.example", "Sec-Fetch-Site: cross-site", override));
    }
    assertForbidden("_method", sendTo("POST", "/api/x?_method=GET&method=GET",
        "Cookie: " + COOKIE + "=" + alice, "Sec-Fetch-Site: cross-site"));
  }

  @Test
  void safeMethods_passFromAnywhere_asThemselves() throws Exception {
    for (String method : List.of("GET", "HEAD", "OPTIONS")) {
      String answer = send(method, "Cookie: " + COOKIE + "=" + alice,
          "Origin: https://evil.example", "Sec-Fetch-Site: cross-site");
      assertEquals(200, status(answer), method);
    }
  }

  // ---------------------------------------------------------------- Origin / Sec-Fetch-Site

  @Test
  void malformedMissingDuplicatedOriginAndFetchMetadata_areAll403() throws Exception {
    String o = own();
    List<String[]> forged = List.of(
        new String[] {},
        new String[] {"Origin: null"},
        new String[] {"Origin: NULL"},
        new String[] {"Origin: "},
        new String[] {"Origin: *"},
        new String[] {"Origin: " + o + "/"},
        new String[] {"Origin: " + o + "/api"},
        new String[] {"Origin: " + o + "?"},
        new String[] {"Origin: " + o + "#"},
        new String[] {"Origin: " + o + " " + o},
        new String[] {"Origin: " + o + ", " + o},
        new String[] {"Origin: " + o, "Origin: " + o},
        new String[] {"Origin: " + o, "Origin: https://evil.example"},
        new String[] {"Origin: https://evil.example", "Origin: " + o},
        new String[] {"Origin: http://user@127.0.0.1:" + port},
        new String[] {"Origin: https://127.0.0.1:" + port},
        new String[] {"Origin: http://127.0.0.1:" + (port + 1)},
        new String[] {"Origin: http://127.0.0.1"},
        new String[] {"Origin: http://localhost:" + port},
        new String[] {"Origin: http://127.0.0.1.:" + port},
        new String[] {"Origin: http://[::ffff:127.0.0.1]:" + port},
        new String[] {"Origin: http://127.0.0.1:" + port + ".evil.example"},
        new String[] {"Origin: ws://127.0.0.1:" + port},
        new String[] {"Origin: file://"},
        new String[] {"Origin: " + o, "Sec-Fetch-Site: same-site"},
        new String[] {"Origin: " + o, "Sec-Fetch-Site: cross-site"},
        new String[] {"Origin: " + o, "Sec-Fetch-Site: none"},
        new String[] {"Origin: " + o, "Sec-Fetch-Site: "},
        new String[] {"Origin: " + o, "Sec-Fetch-Site: bogus"},
        new String[] {"Sec-Fetch-Site: none"},
        new String[] {"Sec-Fetch-Site: Same-Origin"},
        new String[] {"Sec-Fetch-Site: SAME-ORIGIN"},
        new String[] {"Sec-Fetch-Site: same-origin, cross-site"},
        new String[] {"Sec-Fetch-Site: cross-site, same-origin"},
        new String[] {"Sec-Fetch-Site: \"same-origin\""},
        new String[] {"Sec-Fetch-Site: same-origin;x"},
        new String[] {"Sec-Fetch-Site: cross-site", "Sec-Fetch-Site: same-origin"},
        new String[] {"Sec-Fetch-Site: same-origin", "Sec-Fetch-Site: cross-site"},
        new String[] {"Origin: " + o, "Sec-Fetch-Site: same-origin", "Sec-Fetch-Site: same-site"},
        new String[] {"Sec-Fetch-Site: cross-site", "Origin: https://app.example.com.evil.com"},
        new String[] {"Referer: " + o + "/", "Sec-Fetch-Site: cross-site"},
        new String[] {"X-Forwarded-Host: 127.0.0.1:" + port, "Origin: " + o,
            "Sec-Fetch-Site: same-site"});
    List<Executable> checks = new ArrayList<>();
    int finds = store.finds();
    for (String[] headers : forged) {
      List<String> lines = new ArrayList<>(List.of("Cookie: " + COOKIE + "=" + alice));
      lines.addAll(List.of(headers));
      String answer = send("POST", lines.toArray(String[]::new));
      checks.add(() -> assertForbidden(List.of(headers).toString(), answer));
    }
    assertAll(checks);
    assertEquals(finds, store.finds(), "a forged request reached the store");
  }

  @Test
  void genuineSameOriginRequests_pass() throws Exception {
    for (String[] headers : List.of(
        new String[] {"Sec-Fetch-Site: same-origin"},
        new String[] {"Sec-Fetch-Site: same-origin", "Origin: null"},
        new String[] {"Origin: " + own()},
        new String[] {"Origin: HTTP://127.0.0.1:" + port})) {
      List<String> lines = new ArrayList<>(List.of("Cookie: " + COOKIE + "=" + alice));
      lines.addAll(List.of(headers));
      String answer = send("DELETE", lines.toArray(String[]::new));
      assertEquals(200, status(answer), List.of(headers) + "\n" + answer);
      assertTrue(body(answer).contains("authType=Cookie"), answer);
    }
  }

  @Test
  void allowedOriginLookalikes_are403_theOriginItselfPasses() throws Exception {
    List<Executable> checks = new ArrayList<>();
    for (String origin : List.of("https://app.example.com.evil.com", "https://evilapp.example.com",
        "https://app.example.co", "https://app.example.comm", "https://xapp.example.com",
        "https://app.example.com/", "https://app.example.com/x", "http://app.example.com",
        "https://app.example.com:8443", "https://app.example.com:80", "https://app.example.com.",
        "https://user@app.example.com", "https://app.example.com@evil.com",
        "https://evil.com#https://app.example.com", "https://evil.com?https://app.example.com",
        "https://app.example.com%2eevil.com", "https://app%2eexample.com",
        "https://app.example.com\\@evil.com", "https://*.example.com", "https://example.com",
        "https://app.example.com https://evil.com", "https://app.example.com,https://evil.com",
        " https://evil.com")) {
      String answer = send("POST", "Cookie: " + COOKIE + "=" + alice, "Origin: " + origin,
          "Sec-Fetch-Site: cross-site");
      checks.add(() -> assertForbidden(origin, answer));
    }
    assertAll(checks);
    for (String origin : List.of("https://app.example.com", "https://app.example.com:443",
        "https://APP.Example.COM")) {
      String answer = send("POST", "Cookie: " + COOKIE + "=" + alice, "Origin: " + origin,
          "Sec-Fetch-Site: cross-site");
      assertEquals(200, status(answer), origin + "\n" + answer);
    }
  }

  // ---------------------------------------------------------------- cookie + Authorization

  @Test
  void crossSiteCookieRequest_withABogusAuthorization_neverAuthenticates() throws Exception {
    String cookie = "Cookie: " + COOKIE + "=" + alice;
    String[] site = {"Origin: https://evil.example", "Sec-Fetch-Site: cross-site"};
    List<String[]> attempts = List.of(
        new String[] {"Authorization: Bearer bogus"},
        new String[] {"Authorization: Bearer"},
        new String[] {"Authorization: Bearer "},
        new String[] {"Authorization: bearer " + alice.substring(1)},
        new String[] {"Authorization: Basic YTpi"},
        new String[] {"Authorization: "},
        new String[] {"Authorization: Cookie " + alice},
        new String[] {"Authorization: Bearer x", "Authorization: Basic YTpi"});
    for (String[] auth : attempts) {
      List<String> lines = new ArrayList<>(List.of(cookie));
      lines.addAll(List.of(site));
      lines.addAll(List.of(auth));
      String answer = send("POST", lines.toArray(String[]::new));
      assertTrue(status(answer) == 401 || status(answer) == 403 || status(answer) == 400,
          List.of(auth) + "\n" + answer);
      assertFalse(body(answer).contains("alice"), List.of(auth) + "\n" + answer);
    }
    // A token in the query string (query tokens off) does not displace the cookie's check.
    assertForbidden("query token", sendTo("POST", "/api/x?access_token=" + alice,
        cookie, site[0], site[1]));
  }

  // ---------------------------------------------------------------- cookie name tricks

  @Test
  void lookalikeAndSmuggledCookieNames_neverAuthenticate() throws Exception {
    IssuedPair pair = tokens.issuePair("bob", null, Client.UNKNOWN);
    List<Executable> checks = new ArrayList<>();
    for (String cookie : List.of(
        "__host-tk_access=" + alice,
        "__HOST-tk_access=" + alice,
        "__Host-TK_ACCESS=" + alice,
        "__Host-tk_access2=" + alice,
        "tk_access=" + alice,
        "__Secure-tk_access=" + alice,
        "Host-tk_access=" + alice,
        "_Host-tk_access=" + alice,
        "\u00a0__Host-tk_access=" + alice,
        "x=1, " + COOKIE + "=" + alice,
        "$Version=1; x=1, " + COOKIE + "=" + alice,
        "$Version=\"1\"; x=\"1," + COOKIE + "=" + alice + "\"",
        "x=" + COOKIE + "=" + alice,
        "=" + COOKIE + "=" + alice + "x",
        TokenCookies.DEFAULT_REFRESH_COOKIE + "=" + alice)) {
      String answer = send("GET", "Cookie: " + cookie);
      checks.add(() -> {
        assertEquals(401, status(answer), cookie + "\n" + answer);
        assertFalse(body(answer).contains("alice"), cookie);
      });
    }
    // The refresh token of a pair never works as an access token.
    String asAccess = send("GET", "Cookie: " + COOKIE + "=" + pair.refreshPlaintext());
    checks.add(() -> assertEquals(401, status(asAccess), asAccess));
    assertAll(checks);
  }

  @Test
  void duplicateAccessCookies_in_oneOrTwoHeaderLines_are400_or403CrossSite() throws Exception {
    String bob = tokens.issue("bob").plaintext();
    List<String[]> duplicates = List.of(
        new String[] {"Cookie: " + COOKIE + "=" + alice + "; " + COOKIE + "=" + bob},
        new String[] {"Cookie: " + COOKIE + "=" + alice, "Cookie: " + COOKIE + "=" + bob},
        new String[] {"Cookie: " + COOKIE + "=" + alice + "; " + COOKIE + "="},
        new String[] {"Cookie: " + COOKIE + "=" + alice + "; " + COOKIE + "=" + alice});
    for (String[] lines : duplicates) {
      String answer = send("GET", lines);
      assertEquals(400, status(answer), List.of(lines) + "\n" + answer);
      assertTrue(body(answer).contains("more than one access cookie"), answer);
      List<String> cross = new ArrayList<>(List.of(lines));
      cross.add("Sec-Fetch-Site: cross-site");
      assertForbidden("dup cross", send("POST", cross.toArray(String[]::new)));
    }
  }

  @Test
  void hostileCookieHeaders_get4xx_neverA5xxOrAHang() throws Exception {
    List<Executable> checks = new ArrayList<>();
    for (String cookie : List.of("", ";", ";;;", "=", "==", COOKIE, COOKIE + "=",
        COOKIE + "=\"\"", COOKIE + "=\"", COOKIE + "=\"" + alice, COOKIE + "=" + alice + "\"",
        COOKIE + "=" + "A".repeat(1025), COOKIE + "=" + "A".repeat(8000),
        COOKIE + "=tk_\u00e9\u00e8", COOKIE + "=a b", COOKIE + "=a\tb", COOKIE + "=%41%42",
        COOKIE + "=" + alice + "; " + COOKIE, "a=b;" + COOKIE + "=;" + COOKIE + "=;",
        "$Version=1", "$Version=1; $Path=/; " + COOKIE + "=" + alice + "; $Path=/",
        String.join("; ", java.util.Collections.nCopies(300, "c=v")))) {
      String answer = send("POST", "Cookie: " + cookie, "Sec-Fetch-Site: same-origin");
      checks.add(() -> {
        int code = status(answer);
        assertTrue(code == 200 && cookie.contains(alice) || code >= 400 && code < 500,
            cookie + "\n" + answer);
        assertFalse(answer.contains("<<no close"), cookie);
        assertFalse(answer.contains("Exception"), cookie);
      });
    }
    assertAll(checks);
  }
}
