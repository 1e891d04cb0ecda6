package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.servlet.TokenCookies;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebElement;

/**
 * The demo page in real headless Chromium against the packaged jar, as a person uses it: sign
 * in, create a proposal, {@code kill -9} the server, restart it on the same data directory,
 * reload, and still be signed in with the proposal there; the access cookie renewed by the page
 * when it is gone; a second browser signing in as the same user and revoking the first, which
 * returns to the sign-in form on its next action. And an attacker's page on another origin of the
 * same site, whose form posts carry the cookie, refused with 403. And the same page over HTTPS
 * ({@code --tls-keystore}).
 *
 * <p>Screenshots of each step go to {@code target/screenshots/DemoBrowserIT/}.
 */
class DemoBrowserIT {

  private static final String ACCESS = TokenCookies.DEFAULT_ACCESS_COOKIE;
  private static final Path SCREENSHOTS =
      Path.of(System.getProperty("screenshots.dir", "target/screenshots"), "DemoBrowserIT");

  @TempDir Path dataDir;
  @TempDir Path work;

  private final List<Process> demos = new ArrayList<>();
  private final List<HeadlessChromium> browsers = new ArrayList<>();
  private HttpServer attacker;

  @BeforeEach
  void requireChromium() {
    HeadlessChromium.requireInstalled();
  }

  @AfterEach
  void stopAll() {
    browsers.forEach(HeadlessChromium::close);
    demos.forEach(Process::destroyForcibly);
    if (attacker != null) {
      attacker.stop(0);
    }
  }

  /** Starts the jar on {@code port} (0: any) over the test's data directory. */
  private URI startDemo(int port) throws IOException, InterruptedException {
    return startDemo(port, Map.of());
  }

  private URI startDemo(int port, Map<String, String> env, String... more)
      throws IOException, InterruptedException {
    Path stderr = work.resolve("demo-" + demos.size() + ".err");
    List<String> args = new ArrayList<>(List.of(
        "--port", Integer.toString(port), "--data-dir", dataDir.toString()));
    args.addAll(List.of(more));
    Process demo = DemoJar.launch(List.of(), env, stderr, args.toArray(String[]::new));
    demos.add(demo);
    return DemoJar.address(demo, stderr);
  }

  private HeadlessChromium browser(String name) throws IOException {
    return browser(name, false);
  }

  private HeadlessChromium browser(String name, boolean acceptTestCertificate)
      throws IOException {
    HeadlessChromium browser =
        HeadlessChromium.start(work, SCREENSHOTS, name, acceptTestCertificate);
    browsers.add(browser);
    return browser;
  }

  private static void signIn(HeadlessChromium browser) throws Exception {
    browser.await("the sign-in form", () -> browser.shown("sign-in"));
    browser.fill("Email", "alice@example.com");
    browser.fill("Password", "wonderland");
    browser.button("Sign in").click();
    browser.await("signed in", () -> browser.shown("signed-in"));
  }

  private static List<WebElement> devices(HeadlessChromium browser) {
    return browser.driver().findElements(By.cssSelector("#devices li"));
  }

  private static List<String> titles(HeadlessChromium browser) {
    return browser.driver().findElements(By.cssSelector("#proposals .title")).stream()
        .map(WebElement::getText).toList();
  }

  @Test
  void signedInBrowser_survivesKillDashNine_andIsSignedOutWhenAnotherDeviceRevokesIt()
      throws Exception {
    URI demo = startDemo(0);
    int port = demo.getPort();
    HeadlessChromium first = browser("first");
    first.open(demo + "/");
    first.await("the sign-in form", () -> first.shown("sign-in"));
    first.screenshot("01-first-sign-in-form");

    signIn(first);
    first.await("Your devices listed", () -> devices(first).size() == 1);
    first.screenshot("02-first-signed-in");
    Cookie access = first.driver().manage().getCookieNamed(ACCESS);
    assertNotNull(access, "no access cookie");
    assertTrue(access.isHttpOnly() && access.isSecure(), access.toString());
    assertEquals("Strict", access.getSameSite());
    assertEquals("/", access.getPath());
    assertNull(first.driver().manage().getCookieNamed(TokenCookies.DEFAULT_REFRESH_COOKIE),
        "the refresh cookie is visible outside its path");
    assertEquals("", first.driver().executeScript("return document.cookie"),
        "a script can read a cookie");

    first.fill("Title", "Roadmap");
    first.button("Create").click();
    first.await("the proposal listed", () -> titles(first).equals(List.of("Roadmap")));
    WebElement roadmap = first.driver().findElement(By.cssSelector("#proposals li"));
    WebElement label = roadmap.findElement(By.xpath(".//label[normalize-space()='Collaborator']"));
    first.driver().findElement(By.id(label.getDomAttribute("for"))).sendKeys("bob@example.com");
    roadmap.findElement(By.xpath(".//button[normalize-space()='Invite']")).click();
    first.await("the collaborator shown", () -> first.driver()
        .findElement(By.cssSelector("#proposals .meta")).getText().contains("bob@example.com"));
    first.screenshot("03-first-proposal-created-and-shared");

    Process killed = demos.get(0);
    killed.destroyForcibly(); // SIGKILL: nothing is flushed on the way out
    assertTrue(killed.waitFor(20, TimeUnit.SECONDS));
    assertEquals(demo, startDemo(port));
    first.driver().navigate().refresh();
    first.await("signed in after the restart",
        () -> first.shown("signed-in") && titles(first).equals(List.of("Roadmap")));
    first.screenshot("04-first-reloaded-after-kill-and-restart");

    // The access cookie gone (as at its expiry): the page renews it with the refresh cookie.
    first.driver().manage().deleteCookieNamed(ACCESS);
    first.fill("Title", "Budget");
    first.button("Create").click();
    first.await("the second proposal listed",
        () -> titles(first).containsAll(List.of("Roadmap", "Budget")));
    assertNotNull(first.driver().manage().getCookieNamed(ACCESS), "the cookie was not renewed");
    assertNotEquals(access.getValue(),
        first.driver().manage().getCookieNamed(ACCESS).getValue());
    first.screenshot("05-first-renewed-its-access-cookie");

    // A second browser, on localhost this time, signs in as the same user.
    HeadlessChromium second = browser("second");
    second.open("http://localhost:" + port + "/");
    signIn(second);
    second.await("both devices listed", () -> devices(second).size() == 2);
    second.screenshot("06-second-signed-in-sees-two-devices");
    WebElement other = devices(second).stream()
        .filter(device -> !device.getText().contains("this device")).findFirst().orElseThrow();
    assertEquals(1, devices(second).stream()
        .filter(device -> device.getText().contains("this device")).count());
    other.findElement(By.xpath(".//button[normalize-space()='Revoke']")).click();
    second.await("one device left", () -> devices(second).size() == 1);
    second.screenshot("07-second-revoked-the-first");

    first.fill("Title", "After revoke");
    first.button("Create").click();
    first.await("the first browser back at the sign-in form",
        () -> first.shown("sign-in") && !first.shown("signed-in"));
    assertTrue(first.text().contains("Your session has ended"), first.text());
    assertNull(first.driver().manage().getCookieNamed(ACCESS), "the cookie outlived its session");
    first.screenshot("08-first-back-at-sign-in");

    second.driver().navigate().refresh();
    second.await("the second still signed in", () -> second.shown("signed-in")
        && titles(second).containsAll(List.of("Roadmap", "Budget")));
    assertFalse(titles(second).contains("After revoke"), titles(second).toString());
    assertEquals(List.of(), first.cspViolations());
    assertEquals(List.of(), second.cspViolations());
  }

  @Test
  void attackerPageOnAnotherOrigin_formPostsCarryingTheCookie_areRefused403() throws Exception {
    URI demo = startDemo(0);
    HeadlessChromium victim = browser("victim");
    victim.open(demo + "/");
    signIn(victim);
    victim.fill("Title", "Mine");
    victim.button("Create").click();
    victim.await("the proposal listed", () -> titles(victim).equals(List.of("Mine")));

    // Another port of the same host is another origin but the same site: SameSite=Strict lets
    // the cookie go along with its form posts. Only the origin check stands in the way.
    URI evil = startAttacker(demo);
    for (String form : List.of("logout-all", "create")) {
      victim.open(evil + "/" + form + ".html");
      victim.button("Claim your prize").click();
      victim.await("the form posted", () -> victim.driver().getCurrentUrl().startsWith(
          demo.toString()));
      assertEquals(403L, victim.driver().executeScript(
          "return performance.getEntriesByType('navigation')[0].responseStatus"), form);
      assertTrue(victim.text().contains(
          "{\"error\":\"forbidden\",\"error_description\":\"cross-origin request refused\"}"),
          victim.text());
      victim.screenshot("attack-" + form + "-refused-403");
    }

    victim.open(demo + "/");
    victim.await("still signed in, nothing created",
        () -> victim.shown("signed-in") && titles(victim).equals(List.of("Mine")));
    victim.screenshot("attack-victim-unharmed");
    assertEquals(List.of(), victim.cspViolations());

    // The page's policy holds: a script injected inline does not run, and is reported.
    Object ran = victim.driver().executeScript("const s = document.createElement('script');"
        + "s.textContent = 'window.__injected = true;'; document.body.append(s);"
        + "return window.__injected === true;");
    assertEquals(Boolean.FALSE, ran);
    victim.await("the violation reported", () -> !victim.cspViolations().isEmpty());
    assertTrue(victim.cspViolations().get(0).startsWith("script-src"),
        victim.cspViolations().toString());
  }

  @Test
  void overHttps_thePageSignsInStaysSignedInOnReload_andLogsOut() throws Exception {
    TestKeystore keystore = TestKeystore.create(work);
    URI demo = startDemo(0, Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD),
        "--tls-keystore", keystore.file.toString());
    assertEquals("https", demo.getScheme());
    HeadlessChromium browser = browser("https", true);
    browser.open("https://localhost:" + demo.getPort() + "/");
    signIn(browser);
    browser.fill("Title", "Over TLS");
    browser.button("Create").click();
    browser.await("the proposal listed", () -> titles(browser).equals(List.of("Over TLS")));
    assertTrue(browser.driver().manage().getCookieNamed(ACCESS).isSecure());

    browser.driver().navigate().refresh();
    browser.await("still signed in after a reload",
        () -> browser.shown("signed-in") && titles(browser).equals(List.of("Over TLS")));
    browser.screenshot("https-signed-in-after-reload");
    browser.button("Log out").click();
    browser.await("the sign-in form", () -> browser.shown("sign-in"));
    assertNull(browser.driver().manage().getCookieNamed(ACCESS), "logout left the cookie");
    browser.screenshot("https-logged-out");
    assertEquals(List.of(), browser.cspViolations());
  }

  /**
   * An attacker's site on another port of 127.0.0.1: pages with a form that posts to the demo,
   * one to log the victim out everywhere, one to create a proposal with a JSON-looking body.
   */
  private URI startAttacker(URI demo) throws IOException {
    attacker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    String logoutAll = "<form method=\"post\" action=\"" + demo + "/auth/logout-all\">"
        + "<input type=\"hidden\" name=\"x\" value=\"1\">"
        + "<button>Claim your prize</button></form>";
    String create = "<form method=\"post\" enctype=\"text/plain\" action=\"" + demo
        + "/api/proposals\"><input type=\"hidden\" name='{\"title\":\"pwned\",\"x\":\"' value='\"}'>"
        + "<button>Claim your prize</button></form>";
    for (String[] page : List.of(new String[] {"/logout-all.html", logoutAll},
        new String[] {"/create.html", create})) {
      byte[] html = ("<!doctype html><title>Prize</title>" + page[1])
          .getBytes(StandardCharsets.UTF_8);
      attacker.createContext(page[0], exchange -> {
        exchange.getResponseHeaders().set("Content-Type", "text/html;charset=utf-8");
        exchange.sendResponseHeaders(200, html.length);
        exchange.getResponseBody().write(html);
        exchange.close();
      });
    }
    attacker.start();
    return URI.create("http://127.0.0.1:" + attacker.getAddress().getPort());
  }
}
