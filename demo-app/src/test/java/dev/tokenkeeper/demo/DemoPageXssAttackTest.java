package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Stored XSS against the page in real headless Chromium: another user's proposal titles, a
 * device label made from a hostile {@code User-Agent}, and the page's own messages echoing what
 * the user typed, all carrying script. Promise held: everything shows as text, no element is
 * injected, no script runs, no CSP violation is raised, and nothing loads from elsewhere.
 */
class DemoPageXssAttackTest {

  private static final Path SCREENSHOTS = Path.of(
      System.getProperty("screenshots.dir", "target/screenshots"), "DemoPageXssAttackTest");
  private static final List<String> PAYLOADS = List.of(
      "<img src=x onerror=\"window.__xss='img'\">",
      "<script>window.__xss='script'</script>",
      "<svg onload=\"window.__xss='svg'\"></svg>",
      "\"><iframe src=\"javascript:parent.__xss='iframe'\"></iframe>",
      "<style>body{display:none}</style><b>bold</b>",
      "{{constructor.constructor('window.__xss=1')()}} ${window.__xss=2}");

  @TempDir Path dataDir;
  @TempDir Path work;
  private DemoServer server;
  private HeadlessChromium browser;

  @BeforeEach
  void start() throws Exception {
    HeadlessChromium.requireInstalled();
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false),
        Clock.systemUTC(), Map.of(), Accounts::verify);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.close();
    }
    server.close();
  }

  @Test
  void hostileTitlesLabelsAndMessages_renderAsText_underTheCsp() throws Exception {
    DemoClient api = new DemoClient(server.uri());
    String bob = api.token("bob@example.com", "builder");
    for (String payload : PAYLOADS) {
      HttpResponse<String> created =
          api.send("POST", "/api/proposals", bob, "{\"title\":" + quote(payload) + "}");
      assertEquals(201, created.statusCode(), created.body());
      String id = DemoClient.json(created).get("id").asText();
      assertEquals(200, api.send("POST", "/api/proposals/" + id + "/collaborators", bob,
          "{\"username\":\"alice@example.com\"}").statusCode());
    }
    // Alice's other device, labelled by a hostile User-Agent.
    assertEquals(200, api.send("POST", "/auth/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"wonderland\"}",
        PAYLOADS.get(0) + PAYLOADS.get(2)).statusCode());

    browser = HeadlessChromium.start(work, SCREENSHOTS, "xss");
    browser.open(server.uri() + "/");
    browser.await("the sign-in form", () -> browser.shown("sign-in"));
    browser.fill("Email", "alice@example.com");
    browser.fill("Password", "wonderland");
    browser.button("Sign in").click();
    browser.await("signed in with both devices",
        () -> browser.shown("signed-in") && devices().size() == 2);
    browser.await("every hostile title listed", () -> titles().containsAll(PAYLOADS));
    assertTrue(devices().stream().anyMatch(d -> d.getText().contains(PAYLOADS.get(0)
        + PAYLOADS.get(2))), "the hostile label is not shown as text");

    // The page's own message echoes what the user typed.
    String typed = "<img src=y onerror=\"window.__xss='message'\">";
    browser.fill("Title", typed);
    browser.button("Create").click();
    browser.await("the creation confirmed",
        () -> browser.driver().findElement(By.id("message")).getText().contains(typed));
    browser.screenshot("hostile-content-as-text");

    Object injected = browser.driver().executeScript(
        "return document.querySelectorAll('#proposals img, #proposals script, #proposals svg,"
            + " #proposals iframe, #proposals style, #proposals b, #devices img, #devices svg,"
            + " #devices script, #message *').length");
    assertEquals(0L, injected, "an element was injected into the page");
    assertEquals(null, browser.driver().executeScript("return window.__xss"), "a script ran");
    assertEquals(List.of(), browser.cspViolations());
    Object foreign = browser.driver().executeScript(
        "return performance.getEntriesByType('resource').map(e => e.name)"
            + ".filter(n => !n.startsWith(location.origin + '/'))");
    assertEquals(List.of(), foreign, "something was loaded from elsewhere");
  }

  private List<String> titles() {
    return browser.driver().findElements(By.cssSelector("#proposals .title")).stream()
        .map(WebElement::getText).toList();
  }

  private List<WebElement> devices() {
    return browser.driver().findElements(By.cssSelector("#devices li"));
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
