package dev.tokenkeeper.demo;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** Every path no other servlet claims: a JSON 404 rather than the container's HTML page. */
final class NotFoundServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;

  @Override
  void route(String method, String path, HttpServletRequest request,
      HttpServletResponse response) {
    throw noRoute();
  }
}
