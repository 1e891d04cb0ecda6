package dev.tokenkeeper.metrics.micrometer;

import io.micrometer.core.instrument.Clock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A count read by a gauge and taken again only once it is {@code maxAge} old by the registry's
 * clock: a count that walks every session (the file store's {@code liveCount}) then runs at most
 * once per {@code maxAge}, however often and by however many scrapers the gauge is read. The
 * first read counts; a zero {@code maxAge} counts at every read. A count that throws shows as no
 * value ({@code NaN}) until it is taken again, so a failing count is not retried on every read
 * either.
 *
 * <p>Thread-safe. One read counts at a time; a read meanwhile shows the value before it rather
 * than wait, except before the first count, when there is no value yet to show.
 */
final class CachedCount {

  private final LongSupplier count;
  private final Clock clock;
  private final long maxAgeNanos;
  private final ReentrantLock counting = new ReentrantLock();
  /** Written before {@link #taken}, so a reader that sees it taken sees the value. */
  private volatile double value;
  private volatile long takenAt;
  private volatile boolean taken;

  CachedCount(LongSupplier count, Clock clock, long maxAgeNanos) {
    this.count = count;
    this.clock = clock;
    this.maxAgeNanos = maxAgeNanos;
  }

  double value() {
    if (taken) {
      if (isFresh() || !counting.tryLock()) {
        return value;
      }
    } else {
      counting.lock();
    }
    try {
      if (!taken || !isFresh()) {
        value = countOrNaN();
        takenAt = clock.monotonicTime();
        taken = true;
      }
      return value;
    } finally {
      counting.unlock();
    }
  }

  private boolean isFresh() {
    return clock.monotonicTime() - takenAt < maxAgeNanos;
  }

  private double countOrNaN() {
    try {
      return count.getAsLong();
    } catch (RuntimeException e) {
      // A closed or unreachable store: no value beats a stale or made-up one.
      return Double.NaN;
    }
  }
}
