package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code tokenkeeper.sessions.live}: counted at the first scrape, then at most once per
 * {@code liveSessionsMaxAge} on the registry's clock, which the test moves.
 */
class LiveSessionsGaugeTest {

  /** Bounds each wait for another thread; only a hang takes this long. */
  private static final long HANG_SECONDS = 30;

  private final MockClock clock = new MockClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
  private final AtomicLong live = new AtomicLong(5);
  private final AtomicInteger counts = new AtomicInteger();
  private final ExecutorService scrapers = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    scrapers.shutdownNow();
  }

  /** The live count, each call counted. */
  private long count() {
    counts.incrementAndGet();
    return live.get();
  }

  private Gauge gauge(TokenMetrics.Builder builder, LongSupplier count) {
    builder.liveSessions(count).build();
    return registry.get("tokenkeeper.sessions.live").gauge();
  }

  @Test
  void liveSessions_byDefault_countedAtTheFirstScrape_thenShownForThirtySeconds() {
    Gauge gauge = gauge(TokenMetrics.builder(registry), this::count);
    assertEquals(0, counts.get(), "nothing counted before a scrape");
    assertEquals(5, gauge.value());
    live.set(7);
    for (int scrape = 0; scrape < 10; scrape++) {
      assertEquals(5, gauge.value());
    }
    clock.add(Duration.ofSeconds(29));
    assertEquals(5, gauge.value());
    assertEquals(1, counts.get(), "one count however many scrapes");
    clock.add(Duration.ofSeconds(1));
    assertEquals(7, gauge.value());
    assertEquals(2, counts.get());
  }

  @Test
  void liveSessions_maxAgeZero_countsAtEveryScrape() {
    Gauge gauge =
        gauge(TokenMetrics.builder(registry).liveSessionsMaxAge(Duration.ZERO), this::count);
    assertEquals(5, gauge.value());
    live.set(7);
    assertEquals(7, gauge.value());
    assertEquals(2, counts.get());
  }

  @Test
  void liveSessions_countThatThrows_isNoValue_untilCountedAgain() {
    AtomicInteger calls = new AtomicInteger();
    Gauge gauge = gauge(TokenMetrics.builder(registry), () -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("store closed (test)");
      }
      return 4;
    });
    assertTrue(Double.isNaN(gauge.value()));
    assertTrue(Double.isNaN(gauge.value()), "a failed count is not retried at every scrape");
    assertEquals(1, calls.get());
    clock.add(Duration.ofSeconds(30));
    assertEquals(4, gauge.value());
  }

  @Test
  void liveSessions_scrapeDuringACount_showsTheValueBefore_withoutWaitingOrCountingAgain()
      throws Exception {
    CountDownLatch counting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Gauge gauge = gauge(TokenMetrics.builder(registry), () -> {
      if (counts.incrementAndGet() == 2) {
        counting.countDown();
        try {
          assertTrue(release.await(HANG_SECONDS, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return 9;
      }
      return 5;
    });
    assertEquals(5, gauge.value());
    clock.add(Duration.ofSeconds(30));
    Future<Double> slow = scrapers.submit(gauge::value);
    assertTrue(counting.await(HANG_SECONDS, TimeUnit.SECONDS), "the second count never began");
    Future<Double> meanwhile = scrapers.submit(gauge::value);
    assertEquals(5, meanwhile.get(HANG_SECONDS, TimeUnit.SECONDS));
    release.countDown();
    assertEquals(9, slow.get(HANG_SECONDS, TimeUnit.SECONDS));
    assertEquals(9, gauge.value());
    assertEquals(2, counts.get());
  }
}
