package dev.tokenkeeper.servlet;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Counts events per key in fixed windows and refuses a key past its limit: failed bearer attempts
 * per client address, and requests per session for the optional per-token rate limit. Public so
 * that other HTTP adapters (the Spring Boot starter's introspector) limit exactly as
 * {@link BearerTokenFilter} does; key client addresses with {@link AddressGroup#of}.
 *
 * <pre>{@code
 * WindowLimiter failures = new WindowLimiter(20, Duration.ofMinutes(1)); // share one
 * String key = AddressGroup.of(request.getRemoteAddr());
 * WindowLimiter.Permit failure = failures.acquire(key, clock.instant());  // before the lookup
 * if (failure == null) {
 *   // answer 429, Retry-After: failures.retryAfterSeconds(key, clock.instant())
 * } else if (tokens.authenticate(token).isAuthenticated()) {
 *   failures.release(key, failure);    // not a failure after all
 * }
 * }</pre>
 *
 * <p><b>Reserve first.</b> {@link #acquire} takes a slot before the work it guards (a store
 * lookup), atomically with the check, so parallel requests cannot all pass a check made before
 * any of them is counted: at most {@code limit} events per window ever start. Work that turns out
 * not to count (a valid token) gives its slot back with {@link #release}. Requests in flight
 * therefore count against the limit until they are answered.
 *
 * <p><b>Windows.</b> A key's window opens at its first event and lasts {@code window}; at
 * {@code limit} events the key is refused until the window ends, and its refused requests are not
 * counted, so a limited client cannot extend its own penalty.
 *
 * <p><b>Bounded memory, and floods.</b> At most {@code maxTracked} keys are kept (about 150 bytes
 * each, so 10,000 keys is about 1.5 MB), plus one shared overflow window. Keys that are counting
 * and keys that are refusing sit in separate maps, each in the order its entries arrived; expired
 * windows are dropped as time passes. When the table is full, the oldest counting key is evicted,
 * never a refusing one: a flood of new keys cannot flush a locked-out client. When every tracked
 * key is refusing, new keys share the overflow window until entries expire, so a flood is limited
 * as one client rather than let through.
 *
 * <p>Thread-safe: one lock guards both maps and is never held across I/O. Time is what callers
 * pass, so a test drives it with its own clock.
 */
public final class WindowLimiter {

  /** Default cap on tracked keys. */
  static final int DEFAULT_MAX_TRACKED = 10_000;

  private final int limit;
  private final Duration window;
  private final int maxTracked;
  /** Keys below their limit, in window-opening order. Guarded by {@code this}. */
  private final LinkedHashMap<String, Window> counting = new LinkedHashMap<>();
  /** Keys at their limit, in the order they reached it. Guarded by {@code this}. */
  private final LinkedHashMap<String, Window> refusing = new LinkedHashMap<>();
  /** Shared by new keys while the table is full of refusing keys. Guarded by {@code this}. */
  private Window overflow;

  /**
   * A limiter allowing {@code limit} events per key within {@code window}, tracking at most
   * 10,000 keys.
   *
   * @throws NullPointerException if {@code window} is {@code null}
   * @throws IllegalArgumentException if {@code limit} is below 1 or {@code window} not positive
   */
  public WindowLimiter(int limit, Duration window) {
    this(limit, window, DEFAULT_MAX_TRACKED);
  }

  WindowLimiter(int limit, Duration window, int maxTracked) {
    Objects.requireNonNull(window, "window");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    this.limit = limit;
    this.window = window;
    this.maxTracked = maxTracked;
  }

  /** The events allowed per key and window. */
  public int limit() {
    return limit;
  }

  /** How long a key's window lasts from its first event. */
  public Duration window() {
    return window;
  }

  /**
   * A slot taken by {@link #acquire}. {@link #last()} says whether it was the key's last one in
   * its window. Immutable.
   */
  public static final class Permit {
    private final Window window;
    private final boolean last;

    private Permit(Window window, boolean last) {
      this.window = window;
      this.last = last;
    }

    /** Whether this was the key's last slot: from now on it is refused until its window ends. */
    public boolean last() {
      return last;
    }
  }

  /**
   * Takes one of {@code key}'s slots in its current window, opening one at {@code now} if it has
   * none: the check and the count are one step, so parallel callers cannot overshoot the limit.
   *
   * @return the slot, or {@code null} if the key is at its limit (see {@link #retryAfterSeconds})
   * @throws NullPointerException if {@code key} or {@code now} is {@code null}
   */
  public synchronized Permit acquire(String key, Instant now) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(now, "now");
    dropExpired(now);
    if (live(refusing, key, now) != null) {
      return null;
    }
    Window current = live(counting, key, now);
    if (current == null) {
      current = open(key, now);
      if (current.events >= limit) {
        return null; // the shared overflow window is full
      }
    }
    current.events++;
    boolean last = current.events == limit;
    if (last && current != overflow) {
      counting.remove(key);
      refusing.put(key, current);
    }
    return new Permit(current, last);
  }

  /**
   * Gives back a slot whose event did not count (a valid token); nothing if its window has ended
   * since.
   *
   * @throws NullPointerException if {@code key} or {@code permit} is {@code null}
   */
  public synchronized void release(String key, Permit permit) {
    Objects.requireNonNull(key, "key");
    Window current = Objects.requireNonNull(permit, "permit").window;
    if (current.events == 0 || (current != overflow && current != refusing.get(key)
        && current != counting.get(key))) {
      return;
    }
    current.events--;
    if (current != overflow && refusing.remove(key) != null) {
      counting.put(key, current);
    }
  }

  /**
   * How long {@code key} must wait, in whole seconds rounded up (for {@code Retry-After}), or 0 if
   * it may go on.
   *
   * @throws NullPointerException if {@code key} or {@code now} is {@code null}
   */
  public synchronized long retryAfterSeconds(String key, Instant now) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(now, "now");
    dropExpired(now);
    Window current = live(refusing, key, now);
    if (current == null && live(counting, key, now) == null && isFull() && overflow != null
        && overflow.events >= limit) {
      current = overflow;
    }
    if (current == null) {
      return 0;
    }
    long millis = Duration.between(now, current.end).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  /** How many keys are tracked now, not counting the overflow window. */
  synchronized int tracked() {
    return counting.size() + refusing.size();
  }

  private boolean isFull() {
    return counting.size() + refusing.size() >= maxTracked;
  }

  private Window open(String key, Instant now) {
    if (isFull()) {
      Iterator<Window> oldest = counting.values().iterator();
      if (!oldest.hasNext()) {
        if (overflow == null) {
          overflow = new Window(now.plus(window));
        }
        return overflow;
      }
      oldest.next();
      oldest.remove();
    }
    Window opened = new Window(now.plus(window));
    counting.put(key, opened);
    return opened;
  }

  private void dropExpired(Instant now) {
    dropExpired(counting, now);
    dropExpired(refusing, now);
    if (overflow != null && !now.isBefore(overflow.end)) {
      overflow = null;
    }
  }

  /** {@code key}'s window in {@code windows} if it has not ended; an ended one is dropped. */
  private static Window live(Map<String, Window> windows, String key, Instant now) {
    Window found = windows.get(key);
    if (found != null && !now.isBefore(found.end)) {
      windows.remove(key);
      return null;
    }
    return found;
  }

  /**
   * Drops expired windows from the head. An entry moved between the maps may sit out of order, so
   * an expired one can wait behind a live one; {@link #live} ignores it, and the cap bounds it.
   */
  private static void dropExpired(Map<String, Window> windows, Instant now) {
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
