package dev.tokenkeeper.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Counts failed logins per key (a username or a client address) in a fixed window and says how
 * long a key must wait once it has failed too often. Memory is bounded: past {@code maxKeys} the
 * entry touched longest ago is dropped, so an attacker cycling keys cannot grow it.
 *
 * <p>Thread-safe; one lock, held only for map operations.
 */
final class FailureLimiter {

  private static final class Window {
    Instant start;
    int failures;

    Window(Instant start) {
      this.start = start;
    }
  }

  private final int limit;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Window> windows;

  FailureLimiter(int limit, Duration window, int maxKeys, Clock clock) {
    this.limit = limit;
    this.window = window;
    this.clock = clock;
    this.windows = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
        return size() > maxKeys;
      }
    };
  }

  /** How long {@code key} must still wait, if it has used up its failures in this window. */
  synchronized Optional<Duration> retryAfter(String key) {
    Instant now = clock.instant();
    Window current = windows.get(key);
    if (current == null || current.failures < limit) {
      return Optional.empty();
    }
    Duration left = Duration.between(now, current.start.plus(window));
    if (left.isNegative() || left.isZero()) {
      windows.remove(key);
      return Optional.empty();
    }
    return Optional.of(left);
  }

  synchronized void recordFailure(String key) {
    Instant now = clock.instant();
    Window current = windows.get(key);
    if (current == null || !now.isBefore(current.start.plus(window))) {
      current = new Window(now);
      windows.put(key, current);
    }
    current.failures++;
  }

  synchronized void reset(String key) {
    windows.remove(key);
  }
}
