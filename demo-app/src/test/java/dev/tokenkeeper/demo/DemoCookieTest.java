package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.servlet.TokenCookies;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page's transport, in process over a real HTTP client sending what a browser sends: login
 * and refresh in cookies, their exact attributes, refresh when the access cookie expires, logout
 * clearing them, and forged cross-origin requests refused. The Bearer API is unchanged beside it.
 */
class DemoCookieTest {

  private static final String ACCESS = TokenCookies.DEFAULT_ACCESS_COOKIE;
  private static final String REFRESH = TokenCookies.DEFAULT_REFRESH_COOKIE;
  private static final String BINDER = TokenCookies.BINDER_COOKIE;
  private static final String LOGIN =
      "{\"username\":\"alice@example.com\",\"password\":\"wonderland\",\"transport\":\"cookie\"}";
  private static final String COOKIE_REFRESH = "{\"transport\":\"cookie\"}";

  @TempDir Path dataDir;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final AtomicInteger passwordChecks = new AtomicInteger();
  private final CookieJar jar = new CookieJar();
  private DemoServer server;
  private DemoClient client;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false), clock,
        Map.of(), (user, password) -> {
          passwordChecks.incrementAndGet();
          return Accounts.verify(user, password);
        });
    client = new DemoClient(server.uri());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** A request from the page itself: the browser says same-origin and sends the cookies. */
  private HttpResponse<String> fromPage(String method, String path, String json) {
    return jar.absorb(client.send(method, path, null, json, "Chrome (test)",
        withCookies(path, "Sec-Fetch-Site", "same-origin", "Origin", server.uri().toString())));
  }

  /** A request another origin's page makes the browser send, with the cookies SameSite allows. */
  private HttpResponse<String> fromOtherOrigin(String method, String path, String json,
      String site) {
    return client.send(method, path, null, json, "Chrome (test)",
        withCookies(path, "Sec-Fetch-Site", site, "Origin", "http://127.0.0.1:1"));
  }

  private String[] withCookies(String path, String... headers) {
    List<String> all = new ArrayList<>(List.of(headers));
    if (!jar.header(path).isEmpty()) {
      all.addAll(List.of("Cookie", jar.header(path)));
    }
    return all.toArray(String[]::new);
  }

  private JsonNode signIn() {
    HttpResponse<String> login = fromPage("POST", "/auth/login", LOGIN);
    assertEquals(200, login.statusCode(), login.body());
    return DemoClient.json(login);
  }

  private List<String> setCookies(HttpResponse<String> response) {
    return response.headers().allValues("Set-Cookie");
  }

  @Test
  void cookieLogin_setsBothCookiesWithTheirAttributes_andPutsNoTokenInTheBody() {
    HttpResponse<String> login = fromPage("POST", "/auth/login", LOGIN);

    assertEquals(200, login.statusCode(), login.body());
    JsonNode body = DemoClient.json(login);
    assertEquals("cookie", body.get("token_type").asText());
    assertEquals(3600, body.get("expires_in").asLong());
    assertEquals(7 * 24 * 3600, body.get("refresh_expires_in").asLong());
    assertEquals(22, body.get("session_id").asText().length());
    assertFalse(body.has("access_token") || body.has("refresh_token"), login.body());
    List<String> cookies = setCookies(login);
    assertEquals(4, cookies.size(), cookies.toString());
    assertTrue(cookies.get(0).startsWith(DeviceCookies.NAME + "="), cookies.toString());
    assertTrue(cookies.get(1).matches(ACCESS + "=tka_[A-Za-z0-9_-]+; Path=/; Max-Age=3600;"
        + " Secure; HttpOnly; SameSite=Strict"), cookies.get(1));
    assertTrue(cookies.get(2).matches(REFRESH + "=tkr_[A-Za-z0-9_-]+; Path=/auth/refresh;"
        + " Max-Age=604800; Secure; HttpOnly; SameSite=Strict"), cookies.get(2));
    assertTrue(cookies.get(3).matches(BINDER + "=[A-Za-z0-9_-]{43}; Path=/;"
        + " Max-Age=604800; Secure; HttpOnly; SameSite=Strict"), cookies.get(3));
    assertEquals("no-store", login.headers().firstValue("Cache-Control").orElse(""));

    assertEquals(200, fromPage("GET", "/api/proposals", null).statusCode());
    assertEquals(201, fromPage("POST", "/api/proposals", "{\"title\":\"Roadmap\"}").statusCode());
    JsonNode sessions = DemoClient.json(fromPage("GET", "/auth/sessions", null));
    assertTrue(sessions.get("sessions").get(0).get("current").asBoolean());
  }

  @Test
  void crossOriginPosts_withTheCookie_are403_andChangeNothing() {
    signIn();
    int checks = passwordChecks.get();
    for (String site : List.of("same-site", "cross-site")) {
      HttpResponse<String> forged = client.send("POST", "/api/proposals", null, null,
          "Chrome (test)", withCookies("/api/proposals", "Sec-Fetch-Site", site,
              "Origin", "http://127.0.0.1:1", "Content-Type", "text/plain"));
      assertEquals(403, forged.statusCode(), site);
      assertEquals("{\"error\":\"forbidden\",\"error_description\":\"cross-origin request"
          + " refused\"}", forged.body());
      assertEquals(403, fromOtherOrigin("POST", "/auth/logout-all", null, site).statusCode());
      assertEquals(403, fromOtherOrigin("POST", "/auth/login", LOGIN, site).statusCode());
      assertEquals(403, fromOtherOrigin("POST", "/auth/refresh", COOKIE_REFRESH, site)
          .statusCode());
    }
    assertEquals(checks, passwordChecks.get(), "a forged login reached the password check");
    assertEquals(0, DemoClient.json(fromPage("GET", "/api/proposals", null))
        .get("proposals").size());
    assertEquals(200, fromPage("GET", "/auth/sessions", null).statusCode(), "still signed in");
  }

  @Test
  void expiredAccessCookie_isRenewedByTheRefreshCookie_forTheSameSession() {
    String session = signIn().get("session_id").asText();
    String firstAccess = jar.value(ACCESS);
    assertFalse(jar.header("/api/proposals").contains(REFRESH), "refresh cookie sent to the API");
    assertTrue(jar.header("/auth/refresh").contains(REFRESH));

    clock.advance(Duration.ofMinutes(61));
    assertEquals(401, fromPage("GET", "/api/proposals", null).statusCode());
    jar.expire(ACCESS); // the browser dropped it at its Max-Age
    assertEquals(401, fromPage("GET", "/api/proposals", null).statusCode());
    HttpResponse<String> renewed = fromPage("POST", "/auth/refresh", COOKIE_REFRESH);

    assertEquals(200, renewed.statusCode(), renewed.body());
    assertEquals(session, DemoClient.json(renewed).get("session_id").asText());
    assertEquals(3, setCookies(renewed).size());
    assertNotEquals(firstAccess, jar.value(ACCESS));
    assertFalse(renewed.body().contains(jar.value(ACCESS))
        || renewed.body().contains(jar.value(REFRESH)), "a token in the body");
    assertEquals(200, fromPage("GET", "/api/proposals", null).statusCode());
  }

  @Test
  void cookieRefresh_withoutACookie_orWithTheTokenInTheBodyToo_is400() {
    HttpResponse<String> none = fromPage("POST", "/auth/refresh", COOKIE_REFRESH);
    assertEquals(400, none.statusCode());
    assertEquals("invalid_grant", DemoClient.json(none).get("error").asText());
    assertEquals(List.of(ACCESS + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
        REFRESH + "=; Path=/auth/refresh; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
        BINDER + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict"),
        setCookies(none));

    signIn();
    HttpResponse<String> both = fromPage("POST", "/auth/refresh",
        "{\"transport\":\"cookie\",\"refresh_token\":\"tkr_x\"}");
    assertEquals(400, both.statusCode());
    assertEquals("invalid_request", DemoClient.json(both).get("error").asText());
    assertEquals(400, fromPage("POST", "/auth/login",
        LOGIN.replace("\"cookie\"", "\"carrier-pigeon\"")).statusCode());
    assertEquals(400, fromPage("POST", "/auth/login", LOGIN.replace("\"cookie\"", "7"))
        .statusCode());
  }

  @Test
  void logout_byCookie_clearsTheCookies_andEndsTheSession() {
    signIn();
    String access = jar.value(ACCESS);
    HttpResponse<String> logout = fromPage("POST", "/auth/logout", null);

    assertEquals(204, logout.statusCode());
    assertEquals(3, setCookies(logout).size());
    assertNull(jar.value(ACCESS));
    assertNull(jar.value(REFRESH));
    assertNull(jar.value(BINDER));
    assertEquals(401, client.send("GET", "/api/proposals", null, null, "Chrome (test)",
        "Cookie", ACCESS + "=" + access).statusCode());
  }

  @Test
  void revokedFromAnotherDevice_theNextRefreshFails_andClearsTheCookies() {
    String session = signIn().get("session_id").asText();
    String phone = client.token("alice@example.com", "wonderland");
    HttpResponse<String> revoke =
        client.send("DELETE", "/auth/sessions/" + session, phone, null);
    assertEquals(204, revoke.statusCode());
    assertEquals(List.of(), setCookies(revoke), "a Bearer caller gets no cookies");

    assertEquals(401, fromPage("GET", "/api/proposals", null).statusCode());
    HttpResponse<String> refresh = fromPage("POST", "/auth/refresh", COOKIE_REFRESH);
    assertEquals(400, refresh.statusCode());
    assertNull(jar.value(ACCESS));
    assertNull(jar.value(REFRESH));
  }

  @Test
  void bearerApi_isUnchangedBesideTheCookies() {
    signIn();
    HttpResponse<String> login = client.login("alice@example.com", "wonderland");
    JsonNode pair = DemoClient.json(login);
    assertEquals(List.of("access_token", "token_type", "expires_in", "refresh_token",
        "refresh_expires_in", "session_id"), fieldNames(pair));
    assertEquals(1, setCookies(login).size(), "the device cookie only");
    String token = pair.get("access_token").asText();
    // A Bearer call from anywhere, carrying the page's cookies or not, is a Bearer call.
    HttpResponse<String> created = client.send("POST", "/api/proposals", token,
        "{\"title\":\"From curl\"}", "curl/8", withCookies("/api/proposals",
            "Origin", "https://elsewhere.example", "Sec-Fetch-Site", "cross-site"));
    assertEquals(201, created.statusCode());
    HttpResponse<String> logout = client.send("POST", "/auth/logout", token, null);
    assertEquals(204, logout.statusCode());
    assertEquals(List.of(), setCookies(logout));
    assertEquals(200, fromPage("GET", "/api/proposals", null).statusCode());
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
