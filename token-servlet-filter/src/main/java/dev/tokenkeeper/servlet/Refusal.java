package dev.tokenkeeper.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One way the filter says no: a status, an error code and a short description. Every refusal is
 * written with {@code setStatus}, headers and a small JSON body, never {@code sendError}, which
 * would redispatch to the container's error pages and can drop the headers set here.
 *
 * <p>Descriptions are fixed text: nothing from the request, and so no token, reaches a response.
 *
 * @param status the HTTP status
 * @param error the error code, also RFC 6750's {@code error} attribute where one is sent
 * @param description a short human-readable description
 * @param challenge which {@code WWW-Authenticate} header, if any, goes with it
 */
record Refusal(int status, String error, String description, ChallengeKind challenge) {

  /** The {@code WWW-Authenticate} header a refusal carries. */
  enum ChallengeKind {
    /** None: the refusal is not about credentials (403, 429, 500, 503). */
    NONE,
    /** The realm only, for a request that presented no credentials. */
    REALM_ONLY,
    /** The realm, {@code error} and {@code error_description}. */
    WITH_ERROR
  }

  /** No credentials: 401, a challenge without error attributes (RFC 6750 section 3). */
  static final Refusal NO_CREDENTIALS =
      new Refusal(401, "unauthorized", "this resource needs a bearer token",
          ChallengeKind.REALM_ONLY);

  /** Any refused token, whatever the reason, so clients cannot probe which one it was. */
  static final Refusal INVALID_TOKEN =
      new Refusal(401, "invalid_token", "the access token is invalid, expired or revoked",
          ChallengeKind.WITH_ERROR);

  /**
   * An unsafe request carried by the access cookie from another origin: a forgery, refused before
   * any lookup and not counted against the address, which is the victim's.
   */
  static final Refusal CROSS_ORIGIN =
      new Refusal(403, "forbidden", "cross-origin request refused", ChallengeKind.NONE);

  /** A client address past its failure limit. Retry-After is added by the caller. */
  static final Refusal TOO_MANY_FAILURES =
      new Refusal(429, "too_many_requests", "too many failed attempts; retry later",
          ChallengeKind.NONE);

  /** A session past its request limit. Retry-After is added by the caller. */
  static final Refusal RATE_LIMITED =
      new Refusal(429, "too_many_requests", "too many requests for this session; retry later",
          ChallengeKind.NONE);

  /** The token service threw: its store cannot serve. */
  static final Refusal UNAVAILABLE = new Refusal(
      503, "temporarily_unavailable", "authentication is temporarily unavailable",
      ChallengeKind.NONE);

  /** The token service failed for a reason other than its store: a bug, refused closed. */
  static final Refusal SERVER_ERROR =
      new Refusal(500, "server_error", "authentication failed unexpectedly",
          ChallengeKind.NONE);

  /** The filter was deployed without a usable configuration and refuses everything. */
  static final Refusal NOT_CONFIGURED =
      new Refusal(500, "server_error", "authentication is not configured",
          ChallengeKind.NONE);

  /** A malformed request (RFC 6750 section 3.1): 400 with {@code invalid_request}. */
  static Refusal invalidRequest(String description) {
    return new Refusal(400, "invalid_request", description, ChallengeKind.WITH_ERROR);
  }

  /**
   * Writes this refusal of {@code request}; {@code realm} names the protection space in the
   * challenge. A request that carries a body, unread, is answered with {@code Connection: close}:
   * the body is not worth reading, and a container that cannot skip it closes the connection
   * after the answer, which a client not told so may pick up again for its next request.
   */
  void send(HttpServletRequest request, HttpServletResponse response, String realm)
      throws IOException {
    if (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null) {
      response.setHeader("Connection", "close");
    }
    response.setStatus(status);
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Content-Type-Options", "nosniff");
    if (challenge == ChallengeKind.REALM_ONLY) {
      response.setHeader("WWW-Authenticate", Challenge.of(realm));
    } else if (challenge == ChallengeKind.WITH_ERROR) {
      response.setHeader("WWW-Authenticate", Challenge.of(realm, error, description));
    }
    byte[] body = json().getBytes(StandardCharsets.UTF_8);
    response.setContentType("application/json");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** The body: {@code {"error":"...","error_description":"..."}}. */
  String json() {
    return "{\"error\":" + jsonString(error) + ",\"error_description\":" + jsonString(description)
        + "}";
  }

  private static String jsonString(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
