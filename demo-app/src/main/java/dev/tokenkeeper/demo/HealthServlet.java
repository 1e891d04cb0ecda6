package dev.tokenkeeper.demo;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/** {@code GET /health}: public liveness check. */
final class HealthServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;

  @Override
  void route(String method, String path, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (!path.isEmpty()) {
      throw noRoute();
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw methodNotAllowed(response, "GET");
    }
    Json.write(response, 200, Map.of("status", "ok"));
  }
}
