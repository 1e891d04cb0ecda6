package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's {@code chromium}, headless, driven through its {@code chromedriver} with Selenium; one
 * fresh profile (cookies, storage) per instance. The driver is named explicitly, so Selenium
 * Manager never looks for or downloads one. {@link #start} skips the calling test with one line
 * when either program is missing, except under {@code CI=true}, where it fails.
 *
 * <p>Chromium runs with a closed network in mind: no sandbox (tests may run as root), and no
 * background traffic (updates, sync, QUIC probes), which would only meet refused connections.
 */
final class HeadlessChromium implements AutoCloseable {

  static final Path BROWSER = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  static final Path DRIVER =
      Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
  static final String SKIP_MESSAGE = "chromium or chromedriver missing (" + BROWSER + ", " + DRIVER
      + "): browser tests skipped (install them: .ci/install-chromium)";
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static volatile boolean skipReported;

  /** Records every CSP violation the page raises, from before its first script runs. */
  private static final String VIOLATION_RECORDER = "window.__cspViolations = [];"
      + "document.addEventListener('securitypolicyviolation', e =>"
      + " window.__cspViolations.push(e.effectiveDirective + ' ' + e.blockedURI));";

  private final ChromeDriver driver;
  private final Path screenshots;
  private final String name;

  private HeadlessChromium(ChromeDriver driver, Path screenshots, String name) {
    this.driver = driver;
    this.screenshots = screenshots;
    this.name = name;
  }

  /**
   * Starts a browser with a new profile under {@code work}; its screenshots go to
   * {@code screenshots}, named after {@code name}.
   */
  static HeadlessChromium start(Path work, Path screenshots, String name) throws IOException {
    return start(work, screenshots, name, false);
  }

  /**
   * As {@link #start(Path, Path, String)}; with {@code acceptTestCertificate} the browser takes
   * a certificate no authority signed (a test's {@code keytool} one), as a person would by
   * clicking through the warning.
   */
  static HeadlessChromium start(Path work, Path screenshots, String name,
      boolean acceptTestCertificate) throws IOException {
    requireInstalled();
    Path profile = Files.createDirectories(work.resolve("chromium-" + name));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.setAcceptInsecureCerts(acceptTestCertificate);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--password-store=basic", "--window-size=1000,900", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(work.resolve("chromedriver-" + name + ".log").toFile())
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument",
        Map.of("source", VIOLATION_RECORDER));
    Files.createDirectories(screenshots);
    return new HeadlessChromium(driver, screenshots, name);
  }

  /** Skips the calling test when chromium or chromedriver is missing; fails under CI=true. */
  static void requireInstalled() {
    boolean installed = Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
    if (!installed && !skipReported) {
      skipReported = true;
      System.err.println(SKIP_MESSAGE);
    }
    if (!installed && "true".equals(System.getenv("CI"))) {
      // CI must run the browser tests; a skip there would hide that the page went untested.
      throw new IllegalStateException("CI=true but " + SKIP_MESSAGE);
    }
    assumeTrue(installed, SKIP_MESSAGE);
  }

  ChromeDriver driver() {
    return driver;
  }

  void open(String url) {
    driver.get(url);
  }

  /** The input a {@code <label>} reading exactly {@code text} names with its {@code for}. */
  WebElement field(String text) {
    WebElement label = driver.findElement(By.xpath("//label[normalize-space()='" + text + "']"));
    return driver.findElement(By.id(label.getDomAttribute("for")));
  }

  /** The visible button reading exactly {@code text}. */
  WebElement button(String text) {
    return driver.findElements(By.xpath("//button[normalize-space()='" + text + "']")).stream()
        .filter(WebElement::isDisplayed).findFirst()
        .orElseThrow(() -> new AssertionError("no visible button '" + text + "' on "
            + driver.getCurrentUrl() + ":\n" + text()));
  }

  /** Types {@code value} into the field labelled {@code label}, replacing what was there. */
  void fill(String label, String value) {
    WebElement input = field(label);
    input.clear();
    input.sendKeys(value);
  }

  /** The text the page shows. */
  String text() {
    return driver.findElement(By.tagName("body")).getText();
  }

  /** Whether the element with {@code id} is shown. */
  boolean shown(String id) {
    List<WebElement> found = driver.findElements(By.id(id));
    return !found.isEmpty() && found.get(0).isDisplayed();
  }

  /** The CSP violations the page raised since it loaded. */
  @SuppressWarnings("unchecked")
  List<String> cspViolations() {
    return (List<String>) driver.executeScript("return window.__cspViolations || ['no recorder']");
  }

  /**
   * Waits until {@code condition} holds, polling; on timeout saves a screenshot and fails with
   * what the page shows.
   */
  void await(String what, BooleanSupplier condition) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(PATIENCE);
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (WebDriverException e) {
        // the page is between loads; look again
      }
      if (Instant.now().isAfter(deadline)) {
        screenshot("FAILED-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
        throw new AssertionError(name + ": not within " + PATIENCE + ": " + what + "; page shows:\n"
            + text());
      }
      Thread.sleep(100);
    }
  }

  /** Saves what the browser shows as {@code <step>.png}, for a person to look at. */
  Path screenshot(String step) throws IOException {
    Path file = screenshots.resolve(step + ".png");
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    return file;
  }

  @Override
  public void close() {
    driver.quit();
  }
}
