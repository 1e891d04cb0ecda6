package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WindowLimiterTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration MINUTE = Duration.ofMinutes(1);

  @Test
  void record_atLimit_limitsUntilTheWindowEnds() {
    WindowLimiter limiter = new WindowLimiter(3, MINUTE, 100);

    assertFalse(limiter.record("a", T0));
    assertFalse(limiter.record("a", T0.plusSeconds(10)));
    assertEquals(0, limiter.retryAfterSeconds("a", T0.plusSeconds(10)));
    assertTrue(limiter.record("a", T0.plusSeconds(20)));

    assertEquals(40, limiter.retryAfterSeconds("a", T0.plusSeconds(20)));
    assertEquals(1, limiter.retryAfterSeconds("a", T0.plusMillis(59_001)));
    assertEquals(0, limiter.retryAfterSeconds("b", T0.plusSeconds(20)));
    assertEquals(0, limiter.retryAfterSeconds("a", T0.plus(MINUTE)));
  }

  @Test
  void record_afterWindow_startsAfresh() {
    WindowLimiter limiter = new WindowLimiter(2, MINUTE, 100);
    limiter.record("a", T0);

    assertFalse(limiter.record("a", T0.plus(MINUTE)));
    assertTrue(limiter.record("a", T0.plus(MINUTE).plusSeconds(1)));
  }

  @Test
  void record_manyAddresses_staysWithinCapEvictingOldest() {
    WindowLimiter limiter = new WindowLimiter(1, MINUTE, 100);
    limiter.record("first", T0);

    for (int i = 0; i < 10_000; i++) {
      limiter.record("10.0." + (i / 256) + "." + (i % 256), T0.plusMillis(1 + i % 1000));
    }

    assertEquals(100, limiter.tracked());
    assertEquals(0, limiter.retryAfterSeconds("first", T0.plusSeconds(2)));
  }

  @Test
  void tracked_afterWindowsEnd_dropsExpiredEntries() {
    WindowLimiter limiter = new WindowLimiter(5, MINUTE, 100);
    for (int i = 0; i < 50; i++) {
      limiter.record("client-" + i, T0);
    }

    limiter.retryAfterSeconds("anyone", T0.plus(MINUTE));

    assertEquals(0, limiter.tracked());
  }
}
