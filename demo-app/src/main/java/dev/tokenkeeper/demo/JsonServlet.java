package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.servlet.BearerTokenFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of the demo's servlets: routes by method and path, and turns every failure into a JSON
 * error, so a client never sees a stack trace or an HTML error page.
 */
abstract class JsonServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(JsonServlet.class);

  /** Answers the request or throws an {@link ApiException}. */
  abstract void route(String method, String path, HttpServletRequest request,
      HttpServletResponse response) throws IOException;

  @Override
  protected final void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String path = request.getPathInfo() == null ? "" : request.getPathInfo();
    try {
      route(request.getMethod(), path, request, response);
    } catch (ApiException e) {
      Json.writeError(response, e.status(), e.error(), e.getMessage());
    } catch (StoreUnavailableException e) {
      LOG.error("token store unavailable: {}", e.getMessage());
      Json.writeError(response, 503, "temporarily_unavailable", "try again shortly");
    } catch (RuntimeException e) {
      LOG.error("unexpected failure on {} {}", request.getMethod(), request.getRequestURI(), e);
      Json.writeError(response, 500, "server_error", "unexpected failure");
    }
  }

  /** The session the Bearer filter authenticated this request with. */
  static Session session(HttpServletRequest request) {
    Object session = request.getAttribute(BearerTokenFilter.SESSION_ATTRIBUTE);
    if (session instanceof Session s) {
      return s;
    }
    // The filter guards every route that calls this; reaching here is a wiring bug.
    throw new IllegalStateException("request was not authenticated by the Bearer filter");
  }

  static ApiException methodNotAllowed(HttpServletResponse response, String allowed) {
    response.setHeader("Allow", allowed);
    return new ApiException(405, "method_not_allowed", "use " + allowed);
  }

  static ApiException noRoute() {
    return ApiException.notFound("no such endpoint");
  }
}
