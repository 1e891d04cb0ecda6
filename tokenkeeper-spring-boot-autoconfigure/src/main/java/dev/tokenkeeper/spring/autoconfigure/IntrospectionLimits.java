package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.SessionId;
import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.ClassUtils;

/**
 * The limits the introspector applies ({@code tokenkeeper.limits.*}): refused tokens per client
 * address, requests per session. A limit passed throws {@link TooManyRequestsException}, which
 * {@link RefusalFilter} answers with 429. Implemented by {@link WindowLimits} on
 * token-servlet-filter's limiter, an optional dependency: this type names none of its classes,
 * so the introspector loads without it. Thread-safe.
 */
interface IntrospectionLimits {

  /** The limiter both limits use; its module may be absent. */
  String WINDOW_LIMITER = "dev.tokenkeeper.servlet.WindowLimiter";

  /** No limit at all: what an application gets unless it sets one. */
  IntrospectionLimits NONE = new IntrospectionLimits() {
    @Override
    public Failure reserveFailure(String address) {
      return Failure.NONE;
    }

    @Override
    public void countRequest(SessionId session) {}
  };

  /**
   * Reserves a failure of {@code address} before its token is looked up, so parallel guesses
   * cannot all pass one check.
   *
   * @param address the client's address, or {@code null} if unknown
   * @throws TooManyRequestsException if the address is at its failure limit
   */
  Failure reserveFailure(String address);

  /**
   * Counts one request of an authenticated session.
   *
   * @throws TooManyRequestsException if the session is past its rate limit
   */
  void countRequest(SessionId session);

  /** A reserved failure: given back when the token was valid or the store could not tell. */
  interface Failure {

    /** Nothing reserved. */
    Failure NONE = new Failure() {
      @Override
      public void release() {}

      @Override
      public void keep() {}
    };

    /** The token was not refused: this was no failure. */
    void release();

    /** The token was refused: the failure stands. */
    void keep();
  }

  /**
   * The limits {@code settings} ask for, on {@code clock}'s time: {@link #NONE} when none is set.
   * {@code loader} is the application's, which must hold token-servlet-filter if one is.
   *
   * @throws InvalidConfigurationPropertyValueException naming the property, if a limit is below 1
   *     or a window not positive
   * @throws IllegalStateException if only one of the session rate settings is set, or a limit is
   *     set but token-servlet-filter is not on the class path
   */
  static IntrospectionLimits of(TokenkeeperProperties.Limits settings, Clock clock,
      ClassLoader loader) {
    Integer failures = settings.getFailureLimit();
    Integer perSession = settings.getSessionRateLimit();
    if ((perSession == null) != (settings.getSessionRateWindow() == null)) {
      throw new IllegalStateException("set both tokenkeeper.limits.session-rate-limit and"
          + " tokenkeeper.limits.session-rate-window, or neither");
    }
    if (failures != null) {
      check("failure-limit", failures, "failure-window", settings.getFailureWindow());
    }
    if (perSession != null) {
      check("session-rate-limit", perSession, "session-rate-window",
          settings.getSessionRateWindow());
    }
    if (failures == null && perSession == null) {
      return NONE;
    }
    if (!ClassUtils.isPresent(WINDOW_LIMITER, loader)) {
      throw new IllegalStateException("tokenkeeper.limits.* need dev.tokenkeeper:"
          + "token-servlet-filter on the class path, whose limiter they use"
          + " (tokenkeeper-spring-boot-starter brings it); add it, or unset them");
    }
    return new WindowLimits(failures, settings.getFailureWindow(), perSession,
        settings.getSessionRateWindow(), clock);
  }

  private static void check(String limitName, int limit, String windowName, Duration window) {
    Settings.require(limit >= 1, "tokenkeeper.limits." + limitName, limit, "must be at least 1");
    Settings.require(window != null && !window.isNegative() && !window.isZero(),
        "tokenkeeper.limits." + windowName, window, "must be positive");
  }
}
