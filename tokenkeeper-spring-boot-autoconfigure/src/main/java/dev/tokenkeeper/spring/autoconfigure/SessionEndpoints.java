package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.Authentication;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The generic session endpoints, under {@code tokenkeeper.web.endpoints.base-path} (default
 * {@code /auth}), with the demo's JSON:
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code POST /refresh {"refresh_token"}}</td><td>200 {@code {"access_token",
 *       "token_type":"Bearer","expires_in","refresh_token","refresh_expires_in","session_id"}};
 *       400 {@code invalid_grant} for any refused refresh token</td></tr>
 *   <tr><td>{@code POST /logout}</td><td>204; the caller's session is revoked</td></tr>
 *   <tr><td>{@code POST /logout-all}</td><td>204; every session of the caller is revoked</td></tr>
 *   <tr><td>{@code GET /sessions}</td><td>200 {@code {"sessions":[{"id","label","created",
 *       "last_used","expires","current"}]}}</td></tr>
 *   <tr><td>{@code DELETE /sessions/{id}}</td><td>204; 404 if not one of the caller's</td></tr>
 * </table>
 *
 * <p>All but refresh need the caller's bearer token, checked by the application's security chain;
 * refresh must be open to anonymous callers there (it carries its token in the body). Login is
 * the application's: it checks the password and calls {@link TokenService#issuePair}. Errors are
 * {@code {"error","error_description"}}; a store outage is 503, as {@link RefusalFilter}
 * answers it.
 */
@RestController
@RequestMapping("${tokenkeeper.web.endpoints.base-path:/auth}")
final class SessionEndpoints {

  private static final Logger LOG = LoggerFactory.getLogger(SessionEndpoints.class);

  /** Longest refresh token accepted: well above the format's length, far below any harm. */
  private static final int MAX_TOKEN_LENGTH = 256;

  private final TokenService tokens;
  private final Clock clock;

  SessionEndpoints(TokenService tokens, Clock clock) {
    this.tokens = tokens;
    this.clock = clock;
  }

  // No "consumes": a body of another type must reach the handler below and get this API's 400,
  // not the error page, which the application's security chain may close to anonymous callers.
  @PostMapping("/refresh")
  ResponseEntity<Map<String, Object>> refresh(@RequestBody Map<String, Object> body,
      HttpServletRequest request) {
    Object presented = body.get("refresh_token");
    if (!(presented instanceof String token) || token.isEmpty()
        || token.length() > MAX_TOKEN_LENGTH) {
      return error(HttpStatus.BAD_REQUEST, "invalid_request",
          "refresh_token must be a string of 1 to " + MAX_TOKEN_LENGTH + " characters");
    }
    RefreshResult result = tokens.refresh(token, TokenkeeperIntrospector.clientOf(request));
    if (result instanceof RefreshResult.Refreshed refreshed) {
      return ResponseEntity.ok()
          .cacheControl(CacheControl.noStore())
          .header(HttpHeaders.PRAGMA, "no-cache")
          .body(pairBody(refreshed.pair(), clock.instant()));
    }
    if (((RefreshResult.Rejected) result).reason() == AuthResult.Reason.REUSED) {
      LOG.warn("refresh token {} reused after rotation from {}: its session is revoked",
          TokenHash.sha256(token).fingerprint(), request.getRemoteAddr());
    }
    // RFC 6749 section 5.2: a refused grant is 400 invalid_grant, whatever the reason.
    return error(HttpStatus.BAD_REQUEST, "invalid_grant",
        "the refresh token is invalid, expired or revoked");
  }

  @PostMapping("/logout")
  ResponseEntity<Map<String, Object>> logout(Principal principal) {
    Session session = session(principal);
    if (session == null) {
      return unauthorized();
    }
    tokens.revokeSession(session.subject(), session.id());
    return ResponseEntity.noContent().build();
  }

  @PostMapping("/logout-all")
  ResponseEntity<Map<String, Object>> logoutAll(Principal principal) {
    Session session = session(principal);
    if (session == null) {
      return unauthorized();
    }
    tokens.revokeAll(session.subject());
    return ResponseEntity.noContent().build();
  }

  @GetMapping("/sessions")
  ResponseEntity<Map<String, Object>> sessions(Principal principal) {
    Session caller = session(principal);
    if (caller == null) {
      return unauthorized();
    }
    List<Map<String, Object>> sessions = tokens.sessions(caller.subject()).stream()
        .map(s -> describe(s, s.id().equals(caller.id())))
        .toList();
    return ResponseEntity.ok().cacheControl(CacheControl.noStore())
        .body(Map.of("sessions", sessions));
  }

  @DeleteMapping("/sessions/{id}")
  ResponseEntity<Map<String, Object>> revoke(@PathVariable("id") String id, Principal principal) {
    Session caller = session(principal);
    if (caller == null) {
      return unauthorized();
    }
    // Another user's session id is answered exactly like one that never existed.
    if (!SessionId.isWellFormed(id)
        || !tokens.revokeSession(caller.subject(), SessionId.parse(id))) {
      return error(HttpStatus.NOT_FOUND, "not_found", "no such session");
    }
    return ResponseEntity.noContent().build();
  }

  /**
   * A store outage is the same 503 here as in the token check. Answered here, not left to
   * {@link RefusalFilter}, because an application's own catch-all exception handler would
   * otherwise turn it into a 500 before it reaches the filter.
   */
  @ExceptionHandler(StoreUnavailableException.class)
  void unavailable(StoreUnavailableException outage, HttpServletResponse response)
      throws IOException {
    if (response.isCommitted()) {
      throw outage;
    }
    RefusalFilter.report(outage);
    RefusalFilter.answerOutage(response);
  }

  @ExceptionHandler({HttpMessageNotReadableException.class,
      HttpMediaTypeNotSupportedException.class})
  ResponseEntity<Map<String, Object>> unreadable(Exception e) {
    return error(HttpStatus.BAD_REQUEST, "invalid_request",
        "the body must be a JSON object, sent as application/json");
  }

  /**
   * The demo's answer to a login or a refresh: {@code access_token}, {@code token_type},
   * {@code expires_in}, {@code refresh_token}, {@code refresh_expires_in}, {@code session_id}.
   * Holds both secrets: send it to the client once, never log it.
   */
  static Map<String, Object> pairBody(IssuedPair pair, Instant now) {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("access_token", pair.access().plaintext());
    answer.put("token_type", "Bearer");
    answer.put("expires_in",
        Duration.between(now, pair.access().session().expiresAt()).toSeconds());
    answer.put("refresh_token", pair.refreshPlaintext());
    answer.put("refresh_expires_in", Duration.between(now, pair.refreshExpiresAt()).toSeconds());
    answer.put("session_id", pair.session().id().value());
    return answer;
  }

  /** The caller's session, or {@code null} if the request was not authenticated by a token. */
  private static Session session(Principal principal) {
    if (principal instanceof Authentication authentication
        && authentication.getPrincipal() instanceof TokenkeeperPrincipal caller) {
      return caller.session();
    }
    return null;
  }

  private static Map<String, Object> describe(Session session, boolean current) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", session.id().value());
    out.put("label", session.label());
    out.put("created", session.createdAt().toString());
    out.put("last_used", session.lastUsedAt().toString());
    out.put("expires", session.expiresAt().toString());
    out.put("current", current);
    return out;
  }

  private static ResponseEntity<Map<String, Object>> unauthorized() {
    return ResponseEntity.status(HttpStatus.UNAUTHORIZED)
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
        .cacheControl(CacheControl.noStore())
        .body(Map.of("error", "unauthorized",
            "error_description", "this resource needs a bearer token"));
  }

  private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String error,
      String description) {
    return ResponseEntity.status(status)
        .cacheControl(CacheControl.noStore())
        .body(Map.of("error", error, "error_description", description));
  }
}
