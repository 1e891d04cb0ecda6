package dev.tokenkeeper.demo;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who may try a password now, decided before the password is checked.
 *
 * <table>
 *   <caption>Limits, each per 15-minute window opened by the first failure</caption>
 *   <tr><th>key</th><th>limit</th></tr>
 *   <tr><td>user at one address (IPv6 by /64)</td><td>5 failures, then 429 until the window ends
 *       (hard)</td></tr>
 *   <tr><td>address, across users</td><td>20 failures (hard)</td></tr>
 *   <tr><td>user, across addresses</td><td>10 failures, then one attempt at a time after a wait
 *       doubling from 1 s to 15 min (progressive: about 20 guesses per window in all)</td></tr>
 *   <tr><td>user on a proven device (a valid {@link DeviceCookies} cookie)</td><td>5 failures
 *       (hard); the three limits above do not apply, so an attack from elsewhere cannot lock
 *       the owner out</td></tr>
 * </table>
 *
 * <p>Each attempt is counted as failed before the check and given back if it succeeds, so
 * parallel guesses cannot outrun a limit. Thread-safe.
 */
final class LoginGuard {

  static final Duration WINDOW = Duration.ofMinutes(15);
  static final int PER_USER_ADDRESS = 5;
  static final int PER_ADDRESS = 20;
  static final int PER_USER_FREE = 10;
  static final int PER_DEVICE = 5;
  private static final int MAX_KEYS = 10_000;

  private final FailureLimiter perUserAddress;
  private final FailureLimiter perAddress;
  private final FailureLimiter perUser;
  private final FailureLimiter perDevice;

  LoginGuard(Clock clock) {
    perUserAddress = FailureLimiter.hard(PER_USER_ADDRESS, WINDOW, MAX_KEYS, clock);
    perAddress = FailureLimiter.hard(PER_ADDRESS, WINDOW, MAX_KEYS, clock);
    perUser = FailureLimiter.progressive(PER_USER_FREE, WINDOW, MAX_KEYS, clock);
    perDevice = FailureLimiter.hard(PER_DEVICE, WINDOW, MAX_KEYS, clock);
  }

  /** The attempts reserved for one login; settle with {@link #succeeded} or leave them counted. */
  static final class Ticket {
    private final List<FailureLimiter.Attempt> attempts = new ArrayList<>();
    private final List<FailureLimiter> limiters = new ArrayList<>();
  }

  /**
   * Reserves the attempts for {@code userKey} from {@code addressKey}, or from the proven
   * {@code device} if present.
   *
   * @return the ticket, or how long to wait if any limit refuses (then nothing stays reserved)
   */
  Reservation reserve(String userKey, String addressKey, Optional<String> device) {
    Ticket ticket = new Ticket();
    Duration wait;
    if (device.isPresent()) {
      wait = take(ticket, perDevice, userKey + "\n" + device.get());
    } else {
      // The progressive per-user limit last: a request refused by another must not push it on.
      wait = take(ticket, perUserAddress, userKey + "\n" + addressKey);
      if (wait.isZero()) {
        wait = take(ticket, perAddress, addressKey);
      }
      if (wait.isZero()) {
        wait = take(ticket, perUser, userKey);
      }
    }
    if (wait.isZero()) {
      return new Reservation(ticket, Duration.ZERO);
    }
    refund(ticket);
    return new Reservation(null, wait);
  }

  /**
   * A granted ticket, or the wait.
   *
   * @param ticket the reserved attempts, or {@code null} if refused
   * @param retryAfter how long to wait when refused
   */
  record Reservation(Ticket ticket, Duration retryAfter) {}

  /** The password was right: its attempts do not count. */
  void succeeded(Ticket ticket, String userKey, String addressKey) {
    refund(ticket);
    perUserAddress.reset(userKey + "\n" + addressKey);
  }

  private static Duration take(Ticket ticket, FailureLimiter limiter, String key) {
    FailureLimiter.Attempt attempt = limiter.reserve(key);
    if (!attempt.granted()) {
      return attempt.retryAfter();
    }
    ticket.attempts.add(attempt);
    ticket.limiters.add(limiter);
    return Duration.ZERO;
  }

  private static void refund(Ticket ticket) {
    for (int i = 0; i < ticket.attempts.size(); i++) {
      ticket.limiters.get(i).refund(ticket.attempts.get(i));
    }
  }
}
