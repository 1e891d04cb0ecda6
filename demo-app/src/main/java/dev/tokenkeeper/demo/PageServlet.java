package dev.tokenkeeper.demo;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The demo's page: {@code index.html} at {@code /}, its script and its style sheet, read once
 * from the jar. No build step and nothing from elsewhere, so the page runs under a policy that
 * allows this origin's files only: an injected inline script or a foreign one does not run.
 */
final class PageServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  /** Everything loads from this origin; nothing inline, no framing, forms post here only. */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  /** The servlet mappings: {@code ""} is the context root, {@code /}, exactly. */
  static final List<String> PATHS = List.of("", "/app.js", "/app.css");

  private record Asset(String contentType, byte[] bytes) {}

  private final transient Map<String, Asset> assets = Map.of(
      "/", load("index.html", "text/html;charset=utf-8"),
      "/app.js", load("app.js", "text/javascript;charset=utf-8"),
      "/app.css", load("app.css", "text/css;charset=utf-8"));

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String path = request.getServletPath()
        + (request.getPathInfo() == null ? "" : request.getPathInfo());
    Asset asset = assets.get(path);
    String method = request.getMethod();
    if (asset == null) {
      Json.writeError(response, 404, "not_found", "no such endpoint");
      return;
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      response.setHeader("Allow", "GET, HEAD");
      Json.writeError(response, 405, "method_not_allowed", "use GET, HEAD");
      return;
    }
    response.setStatus(200);
    response.setContentType(asset.contentType());
    response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("Referrer-Policy", "no-referrer");
    // Revalidated on every load, so a new jar's page is never mixed with an old script.
    response.setHeader("Cache-Control", "no-cache");
    response.setContentLength(asset.bytes().length);
    if (method.equals("GET")) {
      response.getOutputStream().write(asset.bytes());
    }
  }

  private static Asset load(String name, String contentType) {
    try (InputStream in = PageServlet.class.getResourceAsStream("page/" + name)) {
      if (in == null) {
        throw new IllegalStateException("page/" + name + " is missing from the jar");
      }
      return new Asset(contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
