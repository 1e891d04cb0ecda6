package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.StoreUnavailableException;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the two refusals Spring Security has no answer of its own for, wherever in the request
 * they show: 503 with {@code Retry-After} when the token store cannot serve (checking the bearer
 * token in Spring Security's chain, or a login or logout in a controller), and 429 with
 * {@code Retry-After} when the introspector found a client or session past one of
 * {@code tokenkeeper.limits.*} ({@link TooManyRequestsException}). Both are exceptions the
 * introspector lets through on purpose: one that is not an authentication failure leaves the
 * security chain unhandled (and would become a 500 error page), while an authentication failure
 * would be a 401, which clients take as "logged out". So this filter sits outside Spring
 * Security's. A store that cannot answer never lets a request through.
 *
 * <p>Other exceptions pass through untouched. A refusal found after the response was committed
 * cannot be answered any more and is rethrown. One ERROR line every 30 seconds reports an outage
 * (the rest at DEBUG), so a down store does not flood the log; a limit reached is logged once, by
 * {@link WindowLimits}. The bodies are BearerTokenFilter's. Thread-safe.
 */
final class RefusalFilter implements Filter {

  private static final Logger LOG = LoggerFactory.getLogger(RefusalFilter.class);

  /** What a 503 asks clients to wait: outages are brief or need an operator, not a retry storm. */
  static final int RETRY_AFTER_SECONDS = 5;

  private static final String OUTAGE = "{\"error\":\"temporarily_unavailable\","
      + "\"error_description\":\"authentication is temporarily unavailable\"}";

  /** One ERROR line per 30 seconds for the whole application, whoever reports the outage. */
  private static final AtomicLong NEXT_ERROR_LOG = new AtomicLong();

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    try {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException e) {
      if (response.isCommitted()) {
        throw e;
      }
      TooManyRequestsException limited = find(e, TooManyRequestsException.class);
      if (limited != null) {
        LOG.debug("answering 429: {}", limited.getMessage());
        answer((HttpServletResponse) response, 429, limited.retryAfterSeconds(),
            "{\"error\":\"too_many_requests\",\"error_description\":\""
                + limited.limit().description + "\"}");
        return;
      }
      StoreUnavailableException outage = find(e, StoreUnavailableException.class);
      if (outage == null) {
        throw e;
      }
      report(outage);
      answerOutage((HttpServletResponse) response);
    }
  }

  /** The {@code type} that {@code e} is, or was caused by; {@code null} if none. */
  static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  /** Writes the 503 of an outage over whatever {@code response} held; not committed yet. */
  static void answerOutage(HttpServletResponse response) throws IOException {
    answer(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, RETRY_AFTER_SECONDS, OUTAGE);
  }

  private static void answer(HttpServletResponse response, int status, long retryAfterSeconds,
      String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    // Whatever a controller had set (a half-written body, cookies) must not go out with it.
    response.reset();
    response.setStatus(status);
    response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setContentType("application/json");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** Logs {@code outage}: at ERROR if none was in the last 30 seconds, else at DEBUG. */
  static void report(StoreUnavailableException outage) {
    long now = System.currentTimeMillis();
    long next = NEXT_ERROR_LOG.get();
    if (now >= next && NEXT_ERROR_LOG.compareAndSet(next, now + 30_000)) {
      LOG.error("token store unavailable; answering 503 (further failures within 30 s are"
          + " logged at DEBUG)", outage);
    } else {
      LOG.debug("token store unavailable; answering 503: {}", outage.toString());
    }
  }
}
