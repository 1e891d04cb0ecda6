package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.Session;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;

/** Answers 200 with what the application sees of the caller, one {@code key=value} per line. */
public final class EchoServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Principal principal = request.getUserPrincipal();
    Object session = request.getAttribute(BearerTokenFilter.SESSION_ATTRIBUTE);
    String body = "principal=" + (principal == null ? "none"
            : principal.getClass().getSimpleName() + ":" + principal.getName()) + "\n"
        + "sessionId=" + (principal instanceof TokenPrincipal
            ? ((TokenPrincipal) principal).sessionId().value() : "none") + "\n"
        + "remoteUser=" + request.getRemoteUser() + "\n"
        + "authType=" + request.getAuthType() + "\n"
        + "sessionAttribute=" + (session instanceof Session
            ? ((Session) session).id().value() : "none") + "\n";
    Object client = request.getAttribute(BearerTokenFilter.CLIENT_ADDRESS_ATTRIBUTE);
    if (client != null) {
      response.setHeader("X-Client-Address", client.toString());
    }
    response.setStatus(200);
    response.setContentType("text/plain;charset=utf-8");
    response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
  }
}
