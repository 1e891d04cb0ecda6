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
import dev.tokenkeeper.servlet.TokenCookies;
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
 *
 * <p>Both send the pair in the JSON body by default, for API clients. With
 * {@code "transport":"cookie"} (the demo page) they set it as {@link TokenCookies} instead, so no
 * script ever sees a token, and answer only when the request comes from the page's own origin.
 */
final class AuthServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AuthServlet.class);
  private static final String SESSIONS_PREFIX = "/sessions/";

  /** Refresh failures per address and window: their own bucket, apart from logins'. */
  static final int REFRESH_FAILURES = 20;

  /** The request field choosing how login and refresh hand over the pair. */
  static final String TRANSPORT = "transport";

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
  private final transient TokenCookies cookies;

  AuthServlet(TokenService tokens, Clock clock, PasswordCheck passwords, DeviceCookies devices,
      SessionCap cap, TokenCookies cookies) {
    this.tokens = tokens;
    this.clock = clock;
    this.passwords = passwords;
    this.guard = new LoginGuard(clock);
    this.devices = devices;
    this.cap = cap;
    this.refreshFailures =
        FailureLimiter.hard(REFRESH_FAILURES, LoginGuard.WINDOW, 10_000, clock);
    this.cookies = cookies;
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
    boolean byCookie = cookieTransport(body, request);
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
    writePair(response, pair, byCookie);
  }

  /**
   * {@code POST /auth/refresh {"refresh_token"}}, or {@code {"transport":"cookie"}} with the
   * refresh cookie: a new pair for the same session.
   */
  private void refresh(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String address = clientAddress(request);
    JsonNode body = Json.readObject(request);
    boolean byCookie = cookieTransport(body, request);
    String presented;
    if (byCookie) {
      if (body.has("refresh_token")) {
        throw ApiException.badRequest(
            "send the refresh token in 'refresh_token' or in its cookie, not both");
      }
      presented = cookies.refreshToken(request).orElse(null);
      if (presented == null) {
        // No guess was made: nothing to count. The page learns it must sign in again.
        clearCookies(response);
        throw invalidGrant();
      }
    } else {
      presented = Json.text(body, "refresh_token", 256);
    }
    FailureLimiter.Attempt attempt = refreshFailures.reserve(AddressKey.of(address));
    if (!attempt.granted()) {
      tooManyAttempts(response, attempt.retryAfter());
    }
    RefreshResult result =
        tokens.refresh(presented, new Client(address, request.getHeader("User-Agent")));
    if (result instanceof RefreshResult.Refreshed refreshed) {
      refreshFailures.refund(attempt);
      writePair(response, refreshed.pair(), byCookie);
      return;
    }
    AuthResult.Reason reason = ((RefreshResult.Rejected) result).reason();
    if (reason == AuthResult.Reason.REUSED) {
      LOG.warn("refresh token {} reused after rotation from {}: its session is revoked",
          TokenHash.sha256(presented).fingerprint(), address);
    }
    if (byCookie) {
      clearCookies(response);
    }
    throw invalidGrant();
  }

  /** RFC 6749 section 5.2: invalid_grant is a 400. */
  private static ApiException invalidGrant() {
    return new ApiException(400, "invalid_grant",
        "the refresh token is invalid, expired or revoked");
  }

  /**
   * Whether {@code body} asks for the cookie transport ({@code "transport":"cookie"}; absent or
   * {@code "bearer"} is the JSON body). A cookie request must come from the page's own origin:
   * another origin's page must not sign its visitor in, nor renew their cookies.
   */
  private boolean cookieTransport(JsonNode body, HttpServletRequest request) {
    if (!body.has(TRANSPORT)) {
      return false;
    }
    String transport = Json.text(body, TRANSPORT, 16);
    if (transport.equals("bearer")) {
      return false;
    }
    if (!transport.equals("cookie")) {
      throw ApiException.badRequest("'" + TRANSPORT + "' must be \"bearer\" or \"cookie\"");
    }
    if (!cookies.acceptsOrigin(request)) {
      LOG.info("refused a cross-origin cookie {} from {}", request.getPathInfo(),
          clientAddress(request));
      throw new ApiException(403, "forbidden", "cross-origin request refused");
    }
    return true;
  }

  /** The client's address as the Bearer filter found it (through trusted proxies only). */
  private static String clientAddress(HttpServletRequest request) {
    Object address = request.getAttribute(BearerTokenFilter.CLIENT_ADDRESS_ATTRIBUTE);
    return address instanceof String text ? text : request.getRemoteAddr();
  }

  /**
   * Answers with {@code pair}: both tokens in the JSON body, or, for the page, in cookies and not
   * in the body (its script has no use for them, and could only leak them).
   */
  private void writePair(HttpServletResponse response, IssuedPair pair, boolean byCookie)
      throws IOException {
    Instant now = clock.instant();
    Duration access = Duration.between(now, pair.access().session().expiresAt());
    Duration refresh = Duration.between(now, pair.refreshExpiresAt());
    Map<String, Object> answer = new LinkedHashMap<>();
    if (byCookie) {
      response.addHeader("Set-Cookie",
          cookies.accessCookie(pair.access().plaintext(), atLeastOneSecond(access)));
      cookies.refreshCookies(pair.refreshPlaintext(), atLeastOneSecond(refresh))
          .forEach(cookie -> response.addHeader("Set-Cookie", cookie));
      answer.put("token_type", "cookie");
      answer.put("expires_in", access.toSeconds());
    } else {
      answer.put("access_token", pair.access().plaintext());
      answer.put("token_type", "Bearer");
      answer.put("expires_in", access.toSeconds());
      answer.put("refresh_token", pair.refreshPlaintext());
    }
    answer.put("refresh_expires_in", refresh.toSeconds());
    answer.put("session_id", pair.session().id().value());
    response.setHeader("Pragma", "no-cache");
    Json.write(response, 200, answer);
  }

  private static Duration atLeastOneSecond(Duration duration) {
    return duration.getSeconds() < 1 ? Duration.ofSeconds(1) : duration;
  }

  /** Deletes the token cookies: the session they carried has ended. */
  private void clearCookies(HttpServletResponse response) {
    cookies.clearingCookies().forEach(cookie -> response.addHeader("Set-Cookie", cookie));
  }

  /** Clears the cookies when they carried this request, whose session has just ended. */
  private void clearCookiesOf(HttpServletRequest request, HttpServletResponse response) {
    if (BearerTokenFilter.COOKIE_AUTH_TYPE.equals(request.getAuthType())) {
      clearCookies(response);
    }
  }

  private static void tooManyAttempts(HttpServletResponse response, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    response.setHeader("Retry-After", Long.toString(seconds));
    throw new ApiException(429, "too_many_attempts", "too many failed attempts; try again later");
  }

  private void logout(HttpServletRequest request, HttpServletResponse response) {
    Session session = session(request);
    tokens.revokeSession(session.subject(), session.id());
    clearCookiesOf(request, response);
    response.setStatus(204);
  }

  private void logoutAll(HttpServletRequest request, HttpServletResponse response) {
    Session session = session(request);
    int count = tokens.revokeAll(session.subject());
    LOG.info("logout everywhere: {} ({} sessions)", session.subject(), count);
    clearCookiesOf(request, response);
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
    if (caller.id().value().equals(id)) {
      clearCookiesOf(request, response);
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
