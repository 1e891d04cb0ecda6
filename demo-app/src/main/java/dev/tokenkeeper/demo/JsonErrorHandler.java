package dev.tokenkeeper.demo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty raises itself (headers too large, a malformed request line, bad URI
 * encoding, a failure escaping a servlet) with the same small JSON body as the application,
 * never an HTML page, a detailed message or a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int code = request.getAttribute(ERROR_STATUS) instanceof Integer status
        ? status : response.getStatus();
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(body(code)), callback);
    return true;
  }

  /**
   * Bodies for requests Jetty cannot parse into a request at all (a bad request line, headers too
   * large). Jetty 12.1 still answers those through this method, though it is marked for removal.
   */
  @Override
  @SuppressWarnings("removal")
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    fields.put("X-Content-Type-Options", "nosniff");
    return ByteBuffer.wrap(body(status));
  }

  /** The body for {@code code}: the standard reason phrase only. */
  private static byte[] body(int code) {
    String error = code >= 500 ? "server_error" : "invalid_request";
    return ("{\"error\":\"" + error + "\",\"error_description\":\"" + HttpStatus.getMessage(code)
        + "\"}").getBytes(StandardCharsets.UTF_8);
  }
}
