package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.servlet.TokenCookies;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as a separate process, with Tokenkeeper's loggers at TRACE and Jetty's at INFO: every
 * path a cookie token can take (login, refresh, the grace replay, reuse after it, forged and
 * swapped cookies, revoked and malformed ones, logout), then its whole log searched for any
 * token, a recognisable middle of one, or a full hash. Promise held: no token reaches a log line.
 */
class DemoLogSecrecyAttackTest {

  private static final String ACCESS = TokenCookies.DEFAULT_ACCESS_COOKIE;
  private static final String REFRESH = TokenCookies.DEFAULT_REFRESH_COOKIE;
  private static final String LOGIN =
      "{\"username\":\"alice@example.com\",\"password\":\"wonderland\",\"transport\":\"cookie\"}";
  private static final String COOKIE_REFRESH = "{\"transport\":\"cookie\"}";
  private static final Pattern TOKEN = Pattern.compile("tk[ar]_[A-Za-z0-9_-]{20,}");

  @TempDir Path work;
  private Process demo;

  @AfterEach
  void stop() throws Exception {
    if (demo != null && demo.isAlive()) {
      demo.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }

  /** The demo's main class on this test's class path: the code the jar is built from. */
  private Process launch(Path stderr) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Ddev.tokenkeeper.LEVEL=TRACE", "-Dorg.eclipse.jetty.LEVEL=INFO",
        "-cp", System.getProperty("java.class.path"), DemoMain.class.getName(),
        "--port", "0", "--data-dir", work.resolve("data").toString()));
    return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
  }

  private static void collect(Set<String> tokens, HttpResponse<String> response) {
    for (String text : List.of(response.body(),
        String.join("\n", response.headers().allValues("Set-Cookie")))) {
      Matcher matcher = TOKEN.matcher(text);
      while (matcher.find()) {
        tokens.add(matcher.group());
      }
    }
  }

  @Test
  void everyCookiePath_leavesNoTokenInTheLog() throws Exception {
    Path stderr = work.resolve("demo.err");
    demo = launch(stderr);
    URI base = DemoJar.address(demo, stderr);
    DemoClient client = new DemoClient(base);
    Set<String> tokens = new LinkedHashSet<>();
    List<Integer> statuses = new ArrayList<>();
    String same = "same-origin";

    HttpResponse<String> login = client.send("POST", "/auth/login", null, LOGIN, "ua",
        "Sec-Fetch-Site", same);
    collect(tokens, login);
    CookieJar jar = new CookieJar();
    jar.absorb(login);
    String access1 = jar.value(ACCESS);
    String refresh1 = jar.value(REFRESH);
    String bound1 = REFRESH + "=" + refresh1 + "; " + TokenCookies.BINDER_COOKIE + "="
        + jar.value(TokenCookies.BINDER_COOKIE);
    statuses.add(login.statusCode());

    statuses.add(client.send("GET", "/api/proposals", null, null, "ua",
        "Cookie", ACCESS + "=" + access1).statusCode());
    statuses.add(client.send("POST", "/api/proposals", null, "{\"title\":\"x\"}", "ua",
        "Cookie", ACCESS + "=" + access1, "Sec-Fetch-Site", "cross-site",
        "Origin", "https://evil.example").statusCode());
    statuses.add(client.send("POST", "/auth/refresh", null, COOKIE_REFRESH, "ua",
        "Cookie", bound1, "Sec-Fetch-Site", "same-site",
        "Origin", "http://127.0.0.1:1").statusCode());
    HttpResponse<String> refreshed = client.send("POST", "/auth/refresh", null, COOKIE_REFRESH,
        "ua", "Cookie", bound1, "Sec-Fetch-Site", same);
    collect(tokens, refreshed);
    statuses.add(refreshed.statusCode());
    HttpResponse<String> grace = client.send("POST", "/auth/refresh", null, COOKIE_REFRESH,
        "ua", "Cookie", bound1, "Sec-Fetch-Site", same);
    collect(tokens, grace);
    statuses.add(grace.statusCode());
    // Swapped, doubled, malformed and unknown cookies.
    statuses.add(client.send("GET", "/api/proposals", null, null, "ua",
        "Cookie", ACCESS + "=" + refresh1).statusCode());
    statuses.add(client.send("POST", "/auth/refresh", null, COOKIE_REFRESH, "ua",
        "Cookie", REFRESH + "=" + access1, "Sec-Fetch-Site", same).statusCode());
    statuses.add(client.send("GET", "/api/proposals", null, null, "ua",
        "Cookie", ACCESS + "=" + access1 + "; " + ACCESS + "=" + refresh1).statusCode());
    statuses.add(client.send("GET", "/api/proposals", null, null, "ua",
        "Cookie", ACCESS + "=" + access1 + "x").statusCode());
    statuses.add(client.send("GET", "/api/proposals", null, null, "ua",
        "Cookie", ACCESS + "=" + access1.replace('_', '$')).statusCode());
    // Reuse after the grace window: the session is revoked, logged with a fingerprint.
    Thread.sleep(11_000);
    HttpResponse<String> reused = client.send("POST", "/auth/refresh", null, COOKIE_REFRESH,
        "ua", "Cookie", bound1, "Sec-Fetch-Site", same);
    statuses.add(reused.statusCode());
    statuses.add(client.send("GET", "/api/proposals", null, null, "ua",
        "Cookie", ACCESS + "=" + access1).statusCode());
    HttpResponse<String> again = client.send("POST", "/auth/login", null, LOGIN, "ua",
        "Sec-Fetch-Site", same);
    collect(tokens, again);
    jar.absorb(again);
    statuses.add(again.statusCode());
    statuses.add(client.send("POST", "/auth/logout", null, null, "ua",
        "Cookie", ACCESS + "=" + jar.value(ACCESS), "Sec-Fetch-Site", same).statusCode());
    statuses.add(client.send("POST", "/auth/logout", null, null, "ua",
        "Cookie", ACCESS + "=" + jar.value(ACCESS), "Sec-Fetch-Site", same).statusCode());

    assertEquals(List.of(200, 200, 403, 403, 200, 200, 401, 400, 400, 401, 401, 400, 401, 200,
        204, 401), statuses);
    demo.destroy(); // SIGTERM: a graceful stop, which logs too
    assertTrue(demo.waitFor(20, TimeUnit.SECONDS));
    String log = Files.readString(stderr, StandardCharsets.UTF_8);
    assertTrue(log.contains("refused bearer token"), log);
    assertTrue(log.contains("reused after rotation"), log);
    assertTrue(tokens.size() >= 6, tokens.toString());

    List<Executable> checks = new ArrayList<>();
    for (String token : tokens) {
      for (String needle : List.of(token, token.substring(8, token.length() - 8),
          HexFormat.of().formatHex(TokenHash.sha256(token).bytes()))) {
        checks.add(() -> assertFalse(log.contains(needle),
            "the log holds a token or its hash: " + needle));
      }
    }
    Matcher any = TOKEN.matcher(log);
    checks.add(() -> assertFalse(any.find(), "the log holds something token-shaped"));
    assertAll(checks);
  }
}
