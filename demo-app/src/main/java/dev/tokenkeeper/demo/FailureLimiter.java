package dev.tokenkeeper.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts failed attempts per key (a user, an address, a user at an address, a proven device) in a
 * fixed window that opens at the key's first attempt.
 *
 * <p><b>Reserve first.</b> {@link #reserve} counts an attempt as failed before the password check
 * it guards, atomically with the limit check, so parallel requests cannot all pass a check made
 * before any of them counts; a successful attempt gives its count back with {@link #refund}.
 *
 * <p><b>Hard or progressive.</b> A hard limiter refuses a key that has {@code free} attempts in its
 * window until the window ends. A progressive one lets attempts past {@code free} go on, one at a
 * time, each after a wait that doubles from one second up to the window: about {@code free + 10}
 * attempts per window, yet no key is ever shut out for the whole window at once.
 *
 * <p><b>Floods.</b> At most {@code maxKeys} keys are kept (about 200 bytes each: 10,000 keys are
 * about 2 MB). When the table is full, expired windows go first, then the oldest key that is not
 * refusing; a key that is refusing is never dropped, so a flood of new keys cannot wipe a lockout.
 * If every key is refusing, a new key is refused too (fail closed) until windows end.
 *
 * <p>Thread-safe; one lock, held only for map operations.
 */
final class FailureLimiter {

  /** One key's window. Guarded by the limiter's lock. */
  private static final class Window {
    final Instant end;
    int attempts;
    Instant nextAllowed = Instant.MIN;

    Window(Instant end) {
      this.end = end;
    }
  }

  /** A reserved attempt, or a refusal with how long to wait. Immutable. */
  static final class Attempt {
    private final String key;
    private final Window window;
    private final Duration retryAfter;

    private Attempt(String key, Window window, Duration retryAfter) {
      this.key = key;
      this.window = window;
      this.retryAfter = retryAfter;
    }

    boolean granted() {
      return window != null;
    }

    /** How long to wait; zero when granted. */
    Duration retryAfter() {
      return retryAfter;
    }
  }

  private final int free;
  private final boolean progressive;
  private final Duration window;
  private final int maxKeys;
  private final Clock clock;
  /** Guarded by {@code this}; insertion order is window-opening order. */
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();

  private FailureLimiter(int free, boolean progressive, Duration window, int maxKeys,
      Clock clock) {
    this.free = free;
    this.progressive = progressive;
    this.window = window;
    this.maxKeys = maxKeys;
    this.clock = clock;
  }

  /** Refuses a key with {@code limit} failures in {@code window} until the window ends. */
  static FailureLimiter hard(int limit, Duration window, int maxKeys, Clock clock) {
    return new FailureLimiter(limit, false, window, maxKeys, clock);
  }

  /** Lets {@code free} failures in {@code window} pass, then spaces attempts out doubling. */
  static FailureLimiter progressive(int free, Duration window, int maxKeys, Clock clock) {
    return new FailureLimiter(free, true, window, maxKeys, clock);
  }

  /** Counts one attempt for {@code key} as failed, unless the key must wait. */
  synchronized Attempt reserve(String key) {
    Instant now = clock.instant();
    Window current = windows.get(key);
    if (current != null && !now.isBefore(current.end)) {
      windows.remove(key);
      current = null;
    }
    if (current == null) {
      if (windows.size() >= maxKeys && !makeRoom(now)) {
        return new Attempt(key, null, window);
      }
      current = new Window(now.plus(window));
      windows.put(key, current);
    }
    Duration wait = waitFor(current, now);
    if (!wait.isZero()) {
      return new Attempt(key, null, wait);
    }
    current.attempts++;
    if (progressive && current.attempts >= free) {
      long seconds = 1L << Math.min(30, current.attempts - free);
      Duration delay = Duration.ofSeconds(seconds);
      current.nextAllowed = now.plus(delay.compareTo(window) < 0 ? delay : window);
    }
    return new Attempt(key, current, Duration.ZERO);
  }

  /** Gives back a granted attempt that succeeded; nothing if its window has ended since. */
  synchronized void refund(Attempt attempt) {
    if (attempt.granted() && windows.get(attempt.key) == attempt.window
        && attempt.window.attempts > 0) {
      attempt.window.attempts--;
      if (attempt.window.attempts < free) {
        attempt.window.nextAllowed = Instant.MIN;
      }
    }
  }

  /** Forgets {@code key}. */
  synchronized void reset(String key) {
    windows.remove(key);
  }

  /** How many keys are tracked. */
  synchronized int tracked() {
    return windows.size();
  }

  private Duration waitFor(Window current, Instant now) {
    if (current.attempts < free) {
      return Duration.ZERO;
    }
    Instant until = progressive ? current.nextAllowed : current.end;
    return now.isBefore(until) ? Duration.between(now, until) : Duration.ZERO;
  }

  /** Drops expired windows, else the oldest one not refusing; whether a slot is free now. */
  private boolean makeRoom(Instant now) {
    windows.values().removeIf(w -> !now.isBefore(w.end));
    if (windows.size() < maxKeys) {
      return true;
    }
    for (Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
      if (waitFor(it.next().getValue(), now).isZero()) {
        it.remove();
        return true;
      }
    }
    return false;
  }
}
