package dev.tokenkeeper.servlet;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts failed bearer attempts per client address in fixed windows and says when an address is
 * past its limit.
 *
 * <p><b>Windows.</b> An address's window opens at its first failure and lasts {@code window}; at
 * {@code limit} failures within it the address is limited until the window ends, and then starts
 * afresh. Limited addresses are answered before any store lookup, and their requests are not
 * counted again, so a limited client cannot extend its own penalty.
 *
 * <p><b>Bounded memory.</b> At most {@code maxTracked} addresses are kept. Entries sit in the order
 * their windows opened, so expired ones are dropped from the head as time passes; when the map is
 * still full, the oldest window is evicted. An attacker with more addresses than that can push
 * entries out, but already has that many addresses times {@code limit} guesses per window, against
 * 256-bit tokens; the limit is there to stop noise and slow guessing from one place, not to be the
 * tokens' strength, and it never lets the map grow.
 *
 * <p>Thread-safe: one lock guards the map and is never held across I/O.
 */
final class FailureLimiter {

  /** Default cap on tracked addresses. */
  static final int DEFAULT_MAX_TRACKED = 10_000;

  private final int limit;
  private final Duration window;
  private final int maxTracked;
  /** Guarded by {@code this}; insertion order is window-opening order. */
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();

  FailureLimiter(int limit, Duration window, int maxTracked) {
    this.limit = limit;
    this.window = window;
    this.maxTracked = maxTracked;
  }

  int limit() {
    return limit;
  }

  Duration window() {
    return window;
  }

  /**
   * How long {@code client} must wait, in whole seconds rounded up, or 0 if it is not limited.
   */
  synchronized long retryAfterSeconds(String client, Instant now) {
    dropExpired(now);
    Window current = windows.get(client);
    if (current == null || current.failures < limit) {
      return 0;
    }
    long millis = Duration.between(now, current.end).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  /**
   * Records a failed attempt by {@code client}.
   *
   * @return whether this failure brought {@code client} to its limit
   */
  synchronized boolean recordFailure(String client, Instant now) {
    dropExpired(now);
    Window current = windows.get(client);
    if (current == null) {
      if (windows.size() >= maxTracked) {
        Iterator<Map.Entry<String, Window>> oldest = windows.entrySet().iterator();
        oldest.next();
        oldest.remove();
      }
      current = new Window(now.plus(window));
      windows.put(client, current);
    }
    if (current.failures < limit) {
      current.failures++;
      return current.failures == limit;
    }
    return false;
  }

  /** How many addresses are tracked now. */
  synchronized int tracked() {
    return windows.size();
  }

  private void dropExpired(Instant now) {
    for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
      if (now.isBefore(it.next().end)) {
        return;
      }
      it.remove();
    }
  }

  /** One address's current window. Guarded by the limiter's lock. */
  private static final class Window {
    final Instant end;
    int failures;

    Window(Instant end) {
      this.end = end;
    }
  }
}
