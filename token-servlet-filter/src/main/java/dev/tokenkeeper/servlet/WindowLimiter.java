package dev.tokenkeeper.servlet;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts events per key in fixed windows and says when a key is past its limit: failed bearer
 * attempts per client address, and requests per session for the optional per-token rate limit.
 *
 * <p><b>Windows.</b> A key's window opens at its first event and lasts {@code window}; at
 * {@code limit} events within it the key is limited until the window ends, and then starts
 * afresh. Limited keys are answered before any store lookup, and their requests are not
 * counted again, so a limited client cannot extend its own penalty.
 *
 * <p><b>Bounded memory.</b> At most {@code maxTracked} keys are kept. Entries sit in the order
 * their windows opened, so expired ones are dropped from the head as time passes; when the map is
 * still full, the oldest window is evicted. An attacker with more addresses than that can push
 * entries out, but already has that many addresses times {@code limit} guesses per window, against
 * 256-bit tokens; the limit is there to stop noise and slow guessing from one place, not to be the
 * tokens' strength, and it never lets the map grow.
 *
 * <p>Thread-safe: one lock guards the map and is never held across I/O.
 */
final class WindowLimiter {

  /** Default cap on tracked keys. */
  static final int DEFAULT_MAX_TRACKED = 10_000;

  private final int limit;
  private final Duration window;
  private final int maxTracked;
  /** Guarded by {@code this}; insertion order is window-opening order. */
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();

  WindowLimiter(int limit, Duration window, int maxTracked) {
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

  /** How long {@code key} must wait, in whole seconds rounded up, or 0 if it is not limited. */
  synchronized long retryAfterSeconds(String key, Instant now) {
    dropExpired(now);
    Window current = windows.get(key);
    if (current == null || current.events < limit) {
      return 0;
    }
    long millis = Duration.between(now, current.end).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  /**
   * Records an event for {@code key}.
   *
   * @return whether this event brought {@code key} to its limit
   */
  synchronized boolean record(String key, Instant now) {
    dropExpired(now);
    Window current = windows.get(key);
    if (current == null) {
      if (windows.size() >= maxTracked) {
        Iterator<Map.Entry<String, Window>> oldest = windows.entrySet().iterator();
        oldest.next();
        oldest.remove();
      }
      current = new Window(now.plus(window));
      windows.put(key, current);
    }
    if (current.events < limit) {
      current.events++;
      return current.events == limit;
    }
    return false;
  }

  /** How many keys are tracked now. */
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

  /** One key's current window. Guarded by the limiter's lock. */
  private static final class Window {
    final Instant end;
    int events;

    Window(Instant end) {
      this.end = end;
    }
  }
}
