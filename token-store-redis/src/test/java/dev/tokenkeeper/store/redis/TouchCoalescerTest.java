package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.SessionId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * The touch map's overflow policy: an owed sliding-expiry write dropped by a clear is counted
 * and logged, never silent. Each test uses its own map size, which the warning names, so the
 * tests pick their own lines from the shared log.
 */
class TouchCoalescerTest {

  private static final Duration INTERVAL = Duration.ofSeconds(30);
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Instant END = T0.plus(Duration.ofHours(1));

  private final AtomicLong nanos = new AtomicLong();

  @Test
  void clear_withOwedWrites_countsEachDroppedWrite_andWarns() {
    TouchCoalescer touches = new TouchCoalescer(INTERVAL, 7001, nanos::get);
    SessionId owed = id(1);
    SessionId written = id(2);
    assertNotNull(touches.offer(owed, T0, END), "the first touch is written at once");
    assertNull(touches.offer(owed, T0.plusSeconds(1), END), "then coalesced: owed");
    assertNotNull(touches.offer(written, T0, END));

    assertEquals(1, touches.clear());

    assertEquals(1, touches.dropped());
    List<String> warnings = warnings(7001);
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("dropped 1 sliding-expiry updates (1 since start)"),
        warnings.get(0));
  }

  @Test
  void clear_nothingOwed_dropsNothing_andStaysQuiet() {
    TouchCoalescer touches = new TouchCoalescer(INTERVAL, 7002, nanos::get);
    touches.offer(id(2), T0, END);

    assertEquals(0, touches.clear());

    assertEquals(0, touches.dropped());
    assertEquals(List.of(), warnings(7002));
  }

  @Test
  void clear_againWithinAMinute_countsButDoesNotWarn_aMinuteLaterWarnsWithTheSum() {
    TouchCoalescer touches = new TouchCoalescer(INTERVAL, 7003, nanos::get);
    for (int round = 1; round <= 3; round++) {
      owe(touches, id(10 + round));
      touches.clear();
      nanos.addAndGet(TimeUnit.SECONDS.toNanos(10));
    }
    assertEquals(3, touches.dropped());
    assertEquals(1, warnings(7003).size(), "rate-limited: " + warnings(7003));

    nanos.addAndGet(TimeUnit.MINUTES.toNanos(1));
    owe(touches, id(14));
    touches.clear();

    List<String> warnings = warnings(7003);
    assertEquals(2, warnings.size(), warnings.toString());
    assertTrue(warnings.get(1).contains("dropped 3 sliding-expiry updates (4 since start)"),
        "the second warning counts the drops it did not report: " + warnings.get(1));
  }

  @Test
  void failed_afterTheMapWasCleared_isOwedAgain_notLost() {
    TouchCoalescer touches = new TouchCoalescer(INTERVAL, 7004, nanos::get);
    SessionId id = id(3);
    TouchCoalescer.Touch due = touches.offer(id, T0, END);
    assertEquals(0, touches.clear(), "the write was in flight, not owed");

    touches.failed(due);

    assertEquals(List.of(due), touches.drain());
  }

  private static SessionId id(int n) {
    return SessionId.parse(String.format("session%014dA", n));
  }

  private static void owe(TouchCoalescer touches, SessionId id) {
    touches.offer(id, T0, END);
    touches.offer(id, T0.plusSeconds(1), END);
  }

  private static List<String> warnings(int maxEntries) {
    return CapturedLogs.texts(Level.WARN, "touch map full (" + maxEntries + " sessions)");
  }
}
