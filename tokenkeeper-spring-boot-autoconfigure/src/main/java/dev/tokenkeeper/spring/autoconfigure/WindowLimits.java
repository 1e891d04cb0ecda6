package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.servlet.AddressGroup;
import dev.tokenkeeper.servlet.WindowLimiter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tokenkeeper.limits.*} on token-servlet-filter's {@link WindowLimiter}, the limiter
 * {@code BearerTokenFilter} uses, so a Spring application limits exactly as the filter does: a
 * failure is reserved before the lookup and given back for a valid token, an address at its limit
 * is refused until its window ends (its refused requests not counted), IPv6 addresses count by
 * their /64, at most 10,000 keys are tracked and a refused one is never evicted. Loaded only when
 * that module is present. Thread-safe.
 */
final class WindowLimits implements IntrospectionLimits {

  private static final Logger LOG = LoggerFactory.getLogger(WindowLimits.class);

  /** The key of requests whose address is unknown (none outside a request): one shared bucket. */
  private static final String UNKNOWN = "unknown";

  /** {@code null}: no failure limit. */
  private final WindowLimiter failures;
  /** {@code null}: no session rate limit. */
  private final WindowLimiter sessions;
  private final Clock clock;

  /** Limits as validated by {@link IntrospectionLimits#of}; a {@code null} limit is off. */
  WindowLimits(Integer failureLimit, Duration failureWindow, Integer sessionLimit,
      Duration sessionWindow, Clock clock) {
    this.failures = failureLimit == null ? null : new WindowLimiter(failureLimit, failureWindow);
    this.sessions = sessionLimit == null ? null : new WindowLimiter(sessionLimit, sessionWindow);
    this.clock = clock;
  }

  @Override
  public Failure reserveFailure(String address) {
    if (failures == null) {
      return Failure.NONE;
    }
    String key = address == null ? UNKNOWN : AddressGroup.of(address);
    WindowLimiter.Permit permit = failures.acquire(key, clock.instant());
    if (permit == null) {
      throw new TooManyRequestsException(TooManyRequestsException.Limit.FAILURES,
          failures.retryAfterSeconds(key, clock.instant()));
    }
    return new Failure() {
      @Override
      public void release() {
        failures.release(key, permit);
      }

      @Override
      public void keep() {
        if (permit.last()) {
          LOG.warn("client {} reached {} refused bearer tokens within {}; answering 429 until the"
              + " window ends", address == null ? UNKNOWN : address, failures.limit(),
              failures.window());
        }
      }
    };
  }

  @Override
  public void countRequest(SessionId session) {
    if (sessions == null) {
      return;
    }
    Instant now = clock.instant();
    // Counted and checked in one step, so parallel requests cannot overshoot the limit.
    if (sessions.acquire(session.value(), now) == null) {
      throw new TooManyRequestsException(TooManyRequestsException.Limit.SESSION,
          sessions.retryAfterSeconds(session.value(), now));
    }
  }
}
