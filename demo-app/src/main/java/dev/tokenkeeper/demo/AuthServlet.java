package dev.tokenkeeper.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.servlet.BearerTokenFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /auth/*}: login and refresh (public), logout, logout everywhere, and the caller's
 * sessions (devices). Login issues an access/refresh pair; refresh rotates it.
 */
final class AuthServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AuthServlet.class);
  private static final String SESSIONS_PREFIX = "/sessions/";

  /** Refresh failures per address and window: their own bucket, apart from logins'. */
  static final int REFRESH_FAILURES = 20;

  /** Checks a password; the real one is {@link Accounts#verify}. */
  interface PasswordCheck {
    boolean verify(String username, String password);
  }

  private final transient TokenService tokens;
  private final transient Clock clock;
  private final transient PasswordCheck passwords;
  private final transient LoginGuard guard;
  private final transient DeviceCookies devices;
  private final transient SessionCap cap;
  private final transient FailureLimiter refreshFailures;

  AuthServlet(TokenService tokens, Clock clock, PasswordCheck passwords, DeviceCookies devices,
      SessionCap cap) {
    this.tokens = tokens;
    this.clock = clock;
    this.passwords = passwords;
    this.guard = new LoginGuard(clock);
    this.devices = devices;
    this.cap = cap;
    this.refreshFailures =
        FailureLimiter.hard(REFRESH_FAILURES, LoginGuard.WINDOW, 10_000, clock);
  }

  @Override
  void route(String method, String path, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    switch (path) {
      case "/login" -> requirePost(method, response, () -> login(request, response));
      case "/refresh" -> requirePost(method, response, () -> refresh(request, response));
      case "/logout" -> requirePost(method, response, () -> logout(request, response));
      case "/logout-all" -> requirePost(method, response, () -> logoutAll(request, response));
      case "/sessions" -> {
        if (!method.equals("GET")) {
          throw methodNotAllowed(response, "GET");
        }
        listSessions(request, response);
      }
      default -> {
        if (!path.startsWith(SESSIONS_PREFIX)) {
          throw noRoute();
        }
        if (!method.equals("DELETE")) {
          throw methodNotAllowed(response, "DELETE");
        }
        deleteSession(path.substring(SESSIONS_PREFIX.length()), request, response);
      }
    }
  }

  private interface Action {
    void run() throws IOException;
  }

  private static void requirePost(String method, HttpServletResponse response, Action action)
      throws IOException {
    if (!method.equals("POST")) {
      throw methodNotAllowed(response, "POST");
    }
    action.run();
  }

  private void login(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String address = clientAddress(request);
    String addressKey = AddressKey.of(address);
    JsonNode body = Json.readObject(request);
    String username = Json.text(body, "username", 256);
    String password = Json.text(body, "password", 1024);
    String userKey = username.toLowerCase(Locale.ROOT);
    Optional<String> device = devices.verify(userKey, request.getHeader("Cookie"));
    // Reserved before the hash: parallel guesses cannot all pass the limit.
    LoginGuard.Reservation reservation = guard.reserve(userKey, addressKey, device);
    if (reservation.ticket() == null) {
      LOG.info("login throttled from {}", address);
      tooManyAttempts(response, reservation.retryAfter());
    }
    if (!passwords.verify(username, password)) {
      LOG.info("login refused from {}", address);
      throw new ApiException(401, "invalid_credentials", "wrong username or password");
    }
    guard.succeeded(reservation.ticket(), userKey, addressKey);
    String userAgent = request.getHeader("User-Agent");
    IssuedPair pair = tokens.issuePair(username, userAgent, new Client(address, userAgent));
    int ended = cap.enforce(username, pair.session().id());
    LOG.info("login: {} session {}{}", username, pair.session().id(),
        ended == 0 ? "" : " (ended " + ended + " idle sessions over the cap)");
    response.addHeader("Set-Cookie", devices.issue(userKey));
    writePair(response, pair);
  }

  /** {@code POST /auth/refresh {"refresh_token"}}: a new pair for the same session. */
  private void refresh(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String address = clientAddress(request);
    String presented = Json.text(Json.readObject(request), "refresh_token", 256);
    FailureLimiter.Attempt attempt = refreshFailures.reserve(AddressKey.of(address));
    if (!attempt.granted()) {
      tooManyAttempts(response, attempt.retryAfter());
    }
    RefreshResult result =
        tokens.refresh(presented, new Client(address, request.getHeader("User-Agent")));
    if (result instanceof RefreshResult.Refreshed refreshed) {
      refreshFailures.refund(attempt);
      writePair(response, refreshed.pair());
      return;
    }
    AuthResult.Reason reason = ((RefreshResult.Rejected) result).reason();
    if (reason == AuthResult.Reason.REUSED) {
      LOG.warn("refresh token {} reused after rotation from {}: its session is revoked",
          TokenHash.sha256(presented).fingerprint(), address);
    }
    // RFC 6749 section 5.2: invalid_grant is a 400.
    throw new ApiException(400, "invalid_grant", "the refresh token is invalid, expired or revoked");
  }

  /** The client's address as the Bearer filter found it (through trusted proxies only). */
  private static String clientAddress(HttpServletRequest request) {
    Object address = request.getAttribute(BearerTokenFilter.CLIENT_ADDRESS_ATTRIBUTE);
    return address instanceof String text ? text : request.getRemoteAddr();
  }

  private void writePair(HttpServletResponse response, IssuedPair pair) throws IOException {
    Instant now = clock.instant();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("access_token", pair.access().plaintext());
    answer.put("token_type", "Bearer");
    answer.put("expires_in",
        Duration.between(now, pair.access().session().expiresAt()).toSeconds());
    answer.put("refresh_token", pair.refreshPlaintext());
    answer.put("refresh_expires_in", Duration.between(now, pair.refreshExpiresAt()).toSeconds());
    answer.put("session_id", pair.session().id().value());
    response.setHeader("Pragma", "no-cache");
    Json.write(response, 200, answer);
  }

  private static void tooManyAttempts(HttpServletResponse response, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    response.setHeader("Retry-After", Long.toString(seconds));
    throw new ApiException(429, "too_many_attempts", "too many failed attempts; try again later");
  }

  private void logout(HttpServletRequest request, HttpServletResponse response) {
    Session session = session(request);
    tokens.revokeSession(session.subject(), session.id());
    response.setStatus(204);
  }

  private void logoutAll(HttpServletRequest request, HttpServletResponse response) {
    Session session = session(request);
    int count = tokens.revokeAll(session.subject());
    LOG.info("logout everywhere: {} ({} sessions)", session.subject(), count);
    response.setStatus(204);
  }

  private void listSessions(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Session caller = session(request);
    List<Map<String, Object>> sessions = tokens.sessions(caller.subject()).stream()
        .map(s -> describe(s, s.id().equals(caller.id())))
        .toList();
    Json.write(response, 200, Map.of("sessions", sessions));
  }

  private void deleteSession(String id, HttpServletRequest request, HttpServletResponse response) {
    Session caller = session(request);
    // Another user's session id is answered exactly like one that never existed.
    if (!SessionId.isWellFormed(id)
        || !tokens.revokeSession(caller.subject(), SessionId.parse(id))) {
      throw ApiException.notFound("no such session");
    }
    response.setStatus(204);
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
}
