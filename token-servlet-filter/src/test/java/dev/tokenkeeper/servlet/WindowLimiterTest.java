package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class WindowLimiterTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration MINUTE = Duration.ofMinutes(1);

  @Test
  void acquire_atLimit_refusesUntilTheWindowEnds() {
    WindowLimiter limiter = new WindowLimiter(3, MINUTE, 100);

    assertFalse(limiter.acquire("a", T0).last());
    assertFalse(limiter.acquire("a", T0.plusSeconds(10)).last());
    assertEquals(0, limiter.retryAfterSeconds("a", T0.plusSeconds(10)));
    assertTrue(limiter.acquire("a", T0.plusSeconds(20)).last());

    assertNull(limiter.acquire("a", T0.plusSeconds(20)));
    assertEquals(40, limiter.retryAfterSeconds("a", T0.plusSeconds(20)));
    assertEquals(1, limiter.retryAfterSeconds("a", T0.plusMillis(59_001)));
    assertEquals(0, limiter.retryAfterSeconds("b", T0.plusSeconds(20)));
    assertEquals(0, limiter.retryAfterSeconds("a", T0.plus(MINUTE)));
    assertNotNull(limiter.acquire("a", T0.plus(MINUTE)));
  }

  @Test
  void release_givesTheSlotBack() {
    WindowLimiter limiter = new WindowLimiter(2, MINUTE, 100);
    limiter.acquire("a", T0);
    WindowLimiter.Permit second = limiter.acquire("a", T0);
    assertNull(limiter.acquire("a", T0));

    limiter.release("a", second);

    assertEquals(0, limiter.retryAfterSeconds("a", T0));
    assertTrue(limiter.acquire("a", T0).last());
    assertNull(limiter.acquire("a", T0));
  }

  @Test
  void release_afterItsWindowEnded_doesNotCreditTheNextWindow() {
    WindowLimiter limiter = new WindowLimiter(1, MINUTE, 100);
    WindowLimiter.Permit old = limiter.acquire("a", T0);
    assertNotNull(limiter.acquire("a", T0.plus(MINUTE)));

    limiter.release("a", old);

    assertNull(limiter.acquire("a", T0.plus(MINUTE)));
  }

  @Test
  void acquire_64ThreadsAtOnce_grantsExactlyTheLimit() throws Exception {
    WindowLimiter limiter = new WindowLimiter(5, MINUTE, 100);

    List<WindowLimiter.Permit> permits = Concurrently.run(64, t -> limiter.acquire("a", T0));

    assertEquals(5, permits.stream().filter(Objects::nonNull).count());
  }

  @Test
  void acquire_floodOfNewKeys_neverEvictsARefusingKey() {
    WindowLimiter limiter = new WindowLimiter(2, MINUTE, 100);
    limiter.acquire("locked", T0);
    limiter.acquire("locked", T0);

    for (int i = 0; i < 10_000; i++) {
      limiter.acquire("10.0." + (i / 256) + "." + (i % 256), T0.plusMillis(1 + i % 1000));
    }

    assertEquals(100, limiter.tracked());
    assertEquals(58, limiter.retryAfterSeconds("locked", T0.plusSeconds(2)));
    assertNull(limiter.acquire("locked", T0.plusSeconds(2)));
  }

  @Test
  void acquire_tableFullOfRefusingKeys_newKeysShareOneOverflowWindow() {
    WindowLimiter limiter = new WindowLimiter(1, MINUTE, 100);
    for (int i = 0; i < 100; i++) {
      assertTrue(limiter.acquire("locked-" + i, T0).last());
    }

    assertNotNull(limiter.acquire("new-1", T0));
    assertNull(limiter.acquire("new-2", T0));
    assertEquals(60, limiter.retryAfterSeconds("new-3", T0));

    assertEquals(100, limiter.tracked());
    for (int i = 0; i < 100; i++) {
      assertNull(limiter.acquire("locked-" + i, T0.plusSeconds(1)));
    }
    assertNotNull(limiter.acquire("new-2", T0.plus(MINUTE)));
  }

  @Test
  void tracked_afterWindowsEnd_dropsExpiredEntries() {
    WindowLimiter limiter = new WindowLimiter(5, MINUTE, 100);
    for (int i = 0; i < 50; i++) {
      limiter.acquire("client-" + i, T0);
    }

    limiter.retryAfterSeconds("anyone", T0.plus(MINUTE));

    assertEquals(0, limiter.tracked());
  }

  @Test
  void constructor_badLimitOrWindow_refusedNamingTheValue() {
    assertEquals("limit must be at least 1: 0", assertThrows(IllegalArgumentException.class,
        () -> new WindowLimiter(0, MINUTE)).getMessage());
    assertEquals("window must be positive: PT0S", assertThrows(IllegalArgumentException.class,
        () -> new WindowLimiter(1, Duration.ZERO)).getMessage());
    assertEquals("window must be positive: PT-1S", assertThrows(IllegalArgumentException.class,
        () -> new WindowLimiter(1, Duration.ofSeconds(-1))).getMessage());
    assertThrows(NullPointerException.class, () -> new WindowLimiter(1, null));
  }

  @Test
  void addressGroup_ipv6ByItsSlash64_ipv4AsItIs() {
    assertEquals("2001:db8:0:7::/64", AddressGroup.of("2001:db8:0:7:1:2:3:4"));
    assertEquals("2001:db8:0:7::/64", AddressGroup.of("[2001:db8:0:7::99]"));
    assertEquals("192.0.2.7", AddressGroup.of("192.0.2.7"));
    assertNull(AddressGroup.of(null));
  }
}
