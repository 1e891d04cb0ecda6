package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page at {@code /}: served from the jar under a policy allowing this origin's files only,
 * and written so that policy costs it nothing (no inline script, style or handler, nothing from
 * elsewhere), with the labels the page's users and tests rely on.
 */
class DemoPageTest {

  @TempDir static Path dataDir;

  private static DemoServer server;
  private static DemoClient client;

  @BeforeAll
  static void start() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false),
        Clock.systemUTC());
    client = new DemoClient(server.uri());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> get(String path) {
    return client.send("GET", path, null, null);
  }

  @Test
  void root_isThePage_underAStrictContentSecurityPolicy() {
    HttpResponse<String> page = get("/");

    assertEquals(200, page.statusCode());
    assertEquals("text/html;charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
    assertEquals("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        page.headers().firstValue("Content-Security-Policy").orElse(""));
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertEquals("no-referrer", page.headers().firstValue("Referrer-Policy").orElse(""));
    assertTrue(page.body().startsWith("<!doctype html>"), page.body());
  }

  @Test
  void scriptAndStyleSheet_areServedWithTheirTypes() {
    HttpResponse<String> script = get("/app.js");
    HttpResponse<String> style = get("/app.css");

    assertEquals(200, script.statusCode());
    assertEquals("text/javascript;charset=utf-8",
        script.headers().firstValue("Content-Type").orElse(""));
    assertTrue(script.body().startsWith("'use strict';"));
    assertEquals(200, style.statusCode());
    assertEquals("text/css;charset=utf-8", style.headers().firstValue("Content-Type").orElse(""));
  }

  @Test
  void page_hasNoInlineScriptStyleOrHandler_andLoadsNothingFromElsewhere() {
    String html = get("/").body();
    Matcher scripts = Pattern.compile("<script\\b([^>]*)>(.*?)</script>", Pattern.DOTALL)
        .matcher(html);
    int count = 0;
    while (scripts.find()) {
      count++;
      assertEquals(" src=\"/app.js\" defer", scripts.group(1));
      assertEquals("", scripts.group(2), "inline script");
    }
    assertEquals(1, count);
    assertFalse(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(html)
        .find(), "an inline event handler");
    assertFalse(html.contains("style=") || html.contains("<style"), "inline style");
    assertFalse(html.contains("javascript:"), "a javascript: URL");
    for (String file : List.of(html, get("/app.js").body(), get("/app.css").body())) {
      assertFalse(Pattern.compile("(https?:)?//[a-z0-9]", Pattern.CASE_INSENSITIVE)
          .matcher(file.replaceAll("(?m)^\\s*(//|/\\*|\\*).*$", "")).find(),
          "a URL to elsewhere");
    }
    // Text goes in as text; no token is ever within a script's reach to store.
    String script = get("/app.js").body();
    for (String sink : List.of("\\.(inner|outer)HTML\\s*=", "insertAdjacentHTML",
        "document\\.write", "\\beval\\(", "new Function", "localStorage", "sessionStorage")) {
      assertFalse(Pattern.compile(sink).matcher(script).find(), sink);
    }
  }

  @Test
  void page_hasTheLabelsAndButtonsItPromises() {
    String html = get("/").body();
    for (String[] field : List.of(new String[] {"email", "Email"},
        new String[] {"password", "Password"}, new String[] {"title", "Title"})) {
      assertTrue(html.contains("<label for=\"" + field[0] + "\">" + field[1] + "</label>"),
          field[1]);
      assertTrue(html.contains("<input id=\"" + field[0] + "\""), field[0]);
    }
    for (String button : List.of(">Sign in</button>", ">Create</button>", ">Log out</button>",
        ">Log out everywhere</button>")) {
      assertTrue(html.contains(button), button);
    }
    assertTrue(html.contains(">Your devices</h2>"));
  }

  @Test
  void otherMethodsAndPaths_getJsonErrors() {
    HttpResponse<String> post = client.send("POST", "/", null, "{}");
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
    assertEquals("method_not_allowed", DemoClient.json(post).get("error").asText());
    for (String path : List.of("/index.html", "/app.js/x", "/page/app.js",
        "/dev/tokenkeeper/demo/page/app.js", "/app.js%2f..%2fapp.css", "/APP.JS")) {
      HttpResponse<String> missing = get(path);
      assertTrue(missing.statusCode() == 404 || missing.statusCode() == 400, path);
      assertEquals("application/json", missing.headers().firstValue("Content-Type").orElse("")
          .split(";")[0], path);
    }
    assertEquals(200, client.send("HEAD", "/", null, null).statusCode());
  }
}
