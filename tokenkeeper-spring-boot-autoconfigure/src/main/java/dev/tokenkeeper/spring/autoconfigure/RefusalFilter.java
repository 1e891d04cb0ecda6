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
 * Answers 503 with {@code Retry-After} when the token store cannot serve, wherever in the request
 * that shows: checking the bearer token in Spring Security's chain, or a login or logout in a
 * controller. It sits outside Spring Security's filters because Spring has no answer of its own
 * for an outage: an exception from the introspector that is not an authentication failure leaves
 * the security chain unhandled and would become a 500 error page. A store that cannot answer never
 * lets a request through, and never answers 401, which would log users out.
 *
 * <p>Other exceptions pass through untouched. An outage found after the response was committed
 * cannot be answered any more and is rethrown. One ERROR line every 30 seconds reports an outage
 * (the rest at DEBUG), so a down store does not flood the log. Thread-safe.
 */
final class RefusalFilter implements Filter {

  private static final Logger LOG = LoggerFactory.getLogger(RefusalFilter.class);

  /** What a 503 asks clients to wait: outages are brief or need an operator, not a retry storm. */
  static final int RETRY_AFTER_SECONDS = 5;

  private static final byte[] BODY = ("{\"error\":\"temporarily_unavailable\","
      + "\"error_description\":\"authentication is temporarily unavailable\"}")
      .getBytes(StandardCharsets.UTF_8);

  private final AtomicLong nextErrorLog = new AtomicLong();

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    try {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException e) {
      StoreUnavailableException outage = outageIn(e);
      if (outage == null || response.isCommitted()) {
        throw e;
      }
      log(outage);
      answer((HttpServletResponse) response);
    }
  }

  /** The outage {@code e} is, or was caused by; {@code null} if none. */
  static StoreUnavailableException outageIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StoreUnavailableException outage) {
        return outage;
      }
    }
    return null;
  }

  private static void answer(HttpServletResponse response) throws IOException {
    // Whatever a controller had set (a half-written body, cookies) must not go out with a 503.
    response.reset();
    response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
    response.setHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setContentType("application/json");
    response.setContentLength(BODY.length);
    response.getOutputStream().write(BODY);
  }

  private void log(StoreUnavailableException outage) {
    long now = System.currentTimeMillis();
    long next = nextErrorLog.get();
    if (now >= next && nextErrorLog.compareAndSet(next, now + 30_000)) {
      LOG.error("token store unavailable; answering 503 (further failures within 30 s are"
          + " logged at DEBUG)", outage);
    } else {
      LOG.debug("token store unavailable; answering 503: {}", outage.toString());
    }
  }
}
