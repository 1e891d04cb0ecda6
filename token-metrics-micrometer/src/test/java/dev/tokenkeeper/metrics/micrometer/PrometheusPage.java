package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks on a Prometheus text page, as a scraper would read it. */
final class PrometheusPage {

  private PrometheusPage() {}

  /** Fails, showing the page, unless it holds each of {@code lines} (or a line's beginning). */
  static void assertHolds(String page, String... lines) {
    for (String line : lines) {
      assertTrue(page.contains(line), line + " in\n" + page);
    }
  }
}
