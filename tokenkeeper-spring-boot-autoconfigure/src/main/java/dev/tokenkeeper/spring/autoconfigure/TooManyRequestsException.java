package dev.tokenkeeper.spring.autoconfigure;

/**
 * A request past one of {@code tokenkeeper.limits.*}, thrown by the introspector and answered by
 * {@link RefusalFilter} with 429 and {@code Retry-After}. Not an {@code AuthenticationException}
 * on purpose: Spring Security would answer that with 401, which tells a client its token is bad.
 * It has no stack trace: it is thrown at the rate an attacker chooses. Holds no token.
 */
final class TooManyRequestsException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Which limit was passed; each has its own description, as in BearerTokenFilter. */
  enum Limit {
    /** Refused tokens of one client address. */
    FAILURES("too many failed attempts; retry later"),
    /** Requests of one session. */
    SESSION("too many requests for this session; retry later");

    final String description;

    Limit(String description) {
      this.description = description;
    }
  }

  private final Limit limit;
  private final long retryAfterSeconds;

  TooManyRequestsException(Limit limit, long retryAfterSeconds) {
    super(limit.description, null, false, false);
    this.limit = limit;
    this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
  }

  Limit limit() {
    return limit;
  }

  /** Whole seconds until the limit's window ends; at least 1. */
  long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
