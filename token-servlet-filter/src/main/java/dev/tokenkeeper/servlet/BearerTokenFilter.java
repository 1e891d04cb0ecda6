package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A servlet filter that lets a request through only with a valid bearer token (RFC 6750), checked
 * by a token-core {@link TokenService}.
 *
 * <pre>{@code
 * BearerTokenFilter filter = BearerTokenFilter.builder(tokenService)
 *     .realm("tokenkeeper")                        // the default
 *     .publicPaths("/health", "/auth/login")       // exact; "/docs/*" opens a subtree
 *     .failureLimit(20, Duration.ofMinutes(1))     // the default, per client address
 *     .build();
 * context.addFilter("bearer", filter).addMappingForUrlPatterns(null, false, "/*");
 * }</pre>
 *
 * <p>The filter claims no paths itself: map it where it should apply. It can also be declared in
 * {@code web.xml} with the no-argument constructor and init-params (see {@link #init}). For
 * browsers it can read the token from an {@code HttpOnly} cookie too, with a stateless defence
 * against forged cross-origin requests: see {@link Builder#cookies} and {@link TokenCookies}.
 *
 * <h2>Answers</h2>
 *
 * <table>
 *   <caption>What each request gets</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>public path</td><td>passes through untouched, unauthenticated</td></tr>
 *   <tr><td>valid token</td><td>passes through, authenticated (below)</td></tr>
 *   <tr><td>no bearer credentials (none, another scheme, a parameter not allowed)</td>
 *       <td>401, {@code WWW-Authenticate: Bearer realm="..."}</td></tr>
 *   <tr><td>unknown, malformed, expired or revoked token</td>
 *       <td>401, {@code Bearer realm="...", error="invalid_token", error_description="..."};
 *       one answer for every reason</td></tr>
 *   <tr><td>several Authorization headers, or more than one token</td>
 *       <td>400, {@code Bearer realm="...", error="invalid_request", ...}</td></tr>
 *   <tr><td>with {@link Builder#cookies}: an unsafe request carried by the access cookie from
 *       another origin</td><td>403 {@code forbidden}</td></tr>
 *   <tr><td>a client address past its failure limit</td><td>429, {@code Retry-After}</td></tr>
 *   <tr><td>a session past its rate limit ({@link Builder#sessionRateLimit})</td>
 *       <td>429, {@code Retry-After}</td></tr>
 *   <tr><td>the store is unavailable ({@code StoreUnavailableException})</td>
 *       <td>503, {@code Retry-After: 5}</td></tr>
 *   <tr><td>the token service throws anything else (a bug)</td><td>500</td></tr>
 *   <tr><td>filter deployed without a usable configuration</td><td>500, for every request</td></tr>
 * </table>
 *
 * <p>Every refusal is written with {@code setStatus}, headers and a small JSON body
 * {@code {"error":"...","error_description":"..."}}, with {@code Cache-Control: no-store}; never
 * with {@code sendError}, so the container's error pages cannot replace it or drop its headers.
 *
 * <p><b>Authenticated requests</b> reach the application wrapped: {@code getUserPrincipal()} is a
 * {@link TokenPrincipal} (subject and session id), {@code getRemoteUser()} the subject,
 * {@code getAuthType()} {@value #AUTH_TYPE}, and the {@link Session} is the request attribute
 * {@value #SESSION_ATTRIBUTE}.
 *
 * <p><b>Brute force.</b> Refused tokens and malformed requests count as failures of the client
 * address ({@code getRemoteAddr()}, or behind proxies named by {@link Builder#trustedProxies} the
 * address they forwarded; no other forwarding header is believed), IPv6 addresses by their /64.
 * Each request with credentials reserves a failure before the store lookup and gives it back if
 * its token is valid, so parallel guesses never make more lookups than the limit; past it the
 * address gets 429 until its window ends. Requests without credentials do not count. Memory is
 * bounded: at most 10,000 addresses are tracked; a flood of new addresses evicts counting ones,
 * never one that is refused.
 *
 * <p><b>Secrecy.</b> A token is never logged, stored or put in a response or exception message;
 * a refused token is logged (at DEBUG) as {@link TokenHash#fingerprint()} at most.
 *
 * <p>Thread-safe; one instance serves all requests. Immutable once initialised.
 */
public final class BearerTokenFilter implements Filter {

  /** The request attribute holding the authenticated {@link Session}. */
  public static final String SESSION_ATTRIBUTE = "dev.tokenkeeper.session";

  /** What {@code getAuthType()} returns for a request this filter authenticated. */
  public static final String AUTH_TYPE = "Bearer";

  /**
   * What {@code getAuthType()} returns for a request authenticated by the access cookie of
   * {@link Builder#cookies}: a logout answering it should clear the cookies.
   */
  public static final String COOKIE_AUTH_TYPE = "Cookie";

  /**
   * The request attribute holding the client's address as a {@code String}: the peer's, or behind
   * proxies named by {@link Builder#trustedProxies} the address they forwarded. Set on every
   * request the filter sees, public paths included, so an application's own limits (a login
   * endpoint's) key on the same address.
   */
  public static final String CLIENT_ADDRESS_ATTRIBUTE = "dev.tokenkeeper.clientAddress";

  /** The realm unless one is set. */
  public static final String DEFAULT_REALM = "tokenkeeper";

  /** Failed attempts allowed per client address and window unless set. */
  public static final int DEFAULT_FAILURE_LIMIT = 20;

  /** The failure window unless set. */
  public static final Duration DEFAULT_FAILURE_WINDOW = Duration.ofMinutes(1);

  private static final Logger LOG = LoggerFactory.getLogger(BearerTokenFilter.class);
  /** What a 503 asks clients to wait: outages are brief or need an operator, not a retry storm. */
  static final long OUTAGE_RETRY_AFTER_SECONDS = 5;
  private static final int MAX_REALM_LENGTH = 256;

  /** {@code null} until configured: a filter without settings refuses every request. */
  private volatile Settings settings;
  /** A store this filter opened from init-params, closed by {@link #destroy()}. */
  private volatile TokenStore ownedStore;

  /**
   * A filter for {@code web.xml}, configured by {@link #init(FilterConfig)} from init-params.
   * Until then, or if its configuration is unusable, it refuses every request with 500.
   */
  public BearerTokenFilter() {}

  private BearerTokenFilter(Settings settings) {
    this.settings = settings;
  }

  /**
   * A builder for a filter checking tokens with {@code tokenService}.
   *
   * @throws NullPointerException if {@code tokenService} is {@code null}
   */
  public static Builder builder(TokenService tokenService) {
    return new Builder(Objects.requireNonNull(tokenService, "tokenService"));
  }

  /**
   * Configures a filter made with the no-argument constructor from its init-params; a filter made
   * by {@link #builder} is configured already and ignores them.
   *
   * <table>
   *   <caption>init-params</caption>
   *   <tr><th>name</th><th>value</th></tr>
   *   <tr><td>{@code token-service-attribute}</td><td>the name of a {@code ServletContext}
   *       attribute holding the {@link TokenService}, set by the application's
   *       {@code ServletContextListener}</td></tr>
   *   <tr><td>{@code store-directory}</td><td>instead, a directory for a file store: needs
   *       {@code dev.tokenkeeper:token-store-file} on the class path; the filter opens it with
   *       default service settings and closes it in {@link #destroy()}</td></tr>
   *   <tr><td>{@code realm}</td><td>as {@link Builder#realm}</td></tr>
   *   <tr><td>{@code public-paths}</td><td>paths separated by commas or whitespace, as
   *       {@link Builder#publicPaths}</td></tr>
   *   <tr><td>{@code failure-limit}, {@code failure-window-seconds}</td>
   *       <td>as {@link Builder#failureLimit}</td></tr>
   *   <tr><td>{@code allow-query-parameter}, {@code allow-form-parameter}</td>
   *       <td>{@code true} or {@code false}, as on the builder</td></tr>
   *   <tr><td>{@code trusted-proxies}</td><td>IP addresses or CIDR blocks separated by commas
   *       or whitespace, as {@link Builder#trustedProxies}</td></tr>
   *   <tr><td>{@code forwarded-header}</td><td>{@code X-Forwarded-For} or {@code Forwarded}, as
   *       {@link Builder#forwardedHeader}</td></tr>
   *   <tr><td>{@code session-rate-limit}, {@code session-rate-window-seconds}</td>
   *       <td>both or neither, as {@link Builder#sessionRateLimit}</td></tr>
   *   <tr><td>{@code access-cookie}</td><td>a {@code __Host-} cookie name: read the token from
   *       it too, as {@link Builder#cookies} with {@link TokenCookies.Builder#accessCookie}</td></tr>
   *   <tr><td>{@code allowed-origins}</td><td>origins separated by commas or whitespace, as
   *       {@link TokenCookies.Builder#allowedOrigins}; needs {@code access-cookie}</td></tr>
   * </table>
   *
   * <p>Exactly one of {@code token-service-attribute} and {@code store-directory} is required.
   * If that does not hold, a value is invalid, or an init-param is unknown, the filter fails
   * closed: it logs one error naming the problem and answers every request with 500; it never
   * lets a request through unchecked.
   */
  @Override
  public void init(FilterConfig config) {
    if (settings != null) {
      return;
    }
    try {
      InitParams.Configured configured = InitParams.configure(config);
      ownedStore = configured.ownedStore();
      settings = configured.filter().settings;
    } catch (RuntimeException e) {
      LOG.error("filter '{}' is not configured and refuses every request with 500: {}",
          config.getFilterName(), e.getMessage(), e.getCause());
    }
  }

  @Override
  public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse,
      FilterChain chain) throws IOException, ServletException {
    if (!(servletRequest instanceof HttpServletRequest)
        || !(servletResponse instanceof HttpServletResponse)) {
      throw new ServletException("BearerTokenFilter serves HTTP requests only");
    }
    HttpServletRequest request = (HttpServletRequest) servletRequest;
    HttpServletResponse response = (HttpServletResponse) servletResponse;
    Settings current = settings;
    if (current == null) {
      Refusal.NOT_CONFIGURED.send(request, response, DEFAULT_REALM);
      return;
    }
    String client = current.proxies().clientAddress(request);
    request.setAttribute(CLIENT_ADDRESS_ATTRIBUTE, client);
    if (current.publicPaths().matches(pathWithinApplication(request))) {
      chain.doFilter(request, response);
      return;
    }
    String bucket = AddressGroup.of(client);
    long retryAfter = current.limiter().retryAfterSeconds(bucket, current.clock().instant());
    if (retryAfter > 0) {
      refuseLimited(current, request, response, retryAfter);
      return;
    }
    Credentials credentials =
        Credentials.read(request, current.allowQuery(), current.allowForm());
    TokenCookies cookies = current.cookies();
    if (credentials.kind() == Credentials.Kind.NONE && cookies != null) {
      credentials = Credentials.fromCookie(cookies.accessTokens(request));
      if (credentials.kind() != Credentials.Kind.NONE && !cookies.acceptsOrigin(request)) {
        // Not counted: the address is the victim's browser, which another page made send this.
        LOG.debug("refused a cross-origin {} carried by the access cookie from {}",
            request.getMethod(), client);
        Refusal.CROSS_ORIGIN.send(request, response, current.realm());
        return;
      }
    }
    if (credentials.kind() == Credentials.Kind.NONE) {
      Refusal.NO_CREDENTIALS.send(request, response, current.realm());
      return;
    }
    // Reserve the failure before the lookup: parallel guesses cannot all pass one check.
    WindowLimiter.Permit failure = current.limiter().acquire(bucket, current.clock().instant());
    if (failure == null) {
      refuseLimited(current, request, response,
          current.limiter().retryAfterSeconds(bucket, current.clock().instant()));
      return;
    }
    switch (credentials.kind()) {
      case INVALID_REQUEST:
        keepFailure(current, client, failure);
        LOG.debug("refused a request from {}: {}", client, credentials.problem());
        Refusal.invalidRequest(credentials.problem()).send(request, response, current.realm());
        return;
      case INVALID_TOKEN:
        refuseToken(current, request, response, client, failure, credentials.token(),
            "not an RFC 6750 b64token");
        return;
      case TOKEN:
        authenticate(current, request, response, chain, client, bucket, failure, credentials);
        return;
      default:
        throw new AssertionError(credentials.kind());
    }
  }

  /** Closes the store this filter opened from {@code store-directory}, if it did. */
  @Override
  public void destroy() {
    TokenStore store = ownedStore;
    ownedStore = null;
    if (store != null) {
      try {
        store.close();
      } catch (RuntimeException e) {
        LOG.warn("closing the token store failed", e);
      }
    }
  }

  private static void authenticate(Settings current, HttpServletRequest request,
      HttpServletResponse response, FilterChain chain, String client, String bucket,
      WindowLimiter.Permit failure, Credentials credentials) throws IOException, ServletException {
    String token = credentials.token();
    AuthResult result;
    try {
      result = current.service().authenticate(
          token, new Client(client, request.getHeader("User-Agent")));
    } catch (StoreUnavailableException e) {
      // Fail closed: a store that cannot answer must not let anyone in, nor show its insides.
      // An outage is not the client's failure, and it passes: say when to try again.
      current.limiter().release(bucket, failure);
      logStoreFailure(current, token, client, e);
      response.setHeader("Retry-After", Long.toString(OUTAGE_RETRY_AFTER_SECONDS));
      Refusal.UNAVAILABLE.send(request, response, current.realm());
      return;
    } catch (RuntimeException e) {
      // Anything else is a bug, not an outage: fail closed all the same, and say so every time.
      current.limiter().release(bucket, failure);
      LOG.error("bug: the token service threw checking bearer token {} from {}; answering 500",
          fingerprint(token), client, e);
      Refusal.SERVER_ERROR.send(request, response, current.realm());
      return;
    }
    if (result instanceof AuthResult.Authenticated) {
      current.limiter().release(bucket, failure);
      Session session = ((AuthResult.Authenticated) result).session();
      WindowLimiter perSession = current.sessionLimiter();
      if (perSession != null) {
        Instant now = current.clock().instant();
        // Counted and checked in one step, so parallel requests cannot overshoot the limit.
        if (perSession.acquire(session.id().value(), now) == null) {
          refuseLimited(current, request, response, Refusal.RATE_LIMITED,
              perSession.retryAfterSeconds(session.id().value(), now));
          return;
        }
      }
      request.setAttribute(SESSION_ATTRIBUTE, session);
      boolean byCookie = credentials.source() == Credentials.Source.COOKIE;
      if (byCookie || credentials.source() == Credentials.Source.QUERY) {
        // RFC 6750 section 2.3: a URI carrying a token must not be cached in shared caches; nor
        // may an answer to a cookie, which, unlike Authorization, does not keep shared caches off.
        response.setHeader("Cache-Control", "private");
      }
      TokenPrincipal principal = new TokenPrincipal(session.subject(), session.id());
      chain.doFilter(new AuthenticatedRequest(request, principal,
          byCookie ? COOKIE_AUTH_TYPE : AUTH_TYPE), response);
      return;
    }
    AuthResult.Reason reason = ((AuthResult.Rejected) result).reason();
    if (reason == AuthResult.Reason.CLIENT_MISMATCH) {
      // Worth an operator's eye: a valid token from somewhere it was not issued to.
      LOG.warn("bearer token {} presented by {} does not match the client it is bound to",
          fingerprint(token), client);
    }
    refuseToken(current, request, response, client, failure, token, reason.name());
  }

  private static void refuseToken(Settings current, HttpServletRequest request,
      HttpServletResponse response, String client, WindowLimiter.Permit failure, String token,
      String reason) throws IOException {
    LOG.debug("refused bearer token {} from {}: {}", fingerprint(token), client, reason);
    keepFailure(current, client, failure);
    Refusal.INVALID_TOKEN.send(request, response, current.realm());
  }

  /** The reserved failure stands; says so once when it was the address's last. */
  private static void keepFailure(Settings current, String client, WindowLimiter.Permit failure) {
    if (failure.last()) {
      WindowLimiter limiter = current.limiter();
      LOG.warn("client {} reached {} failed bearer attempts within {}; answering 429 until the"
          + " window ends", client, limiter.limit(), limiter.window());
    }
  }

  private static void refuseLimited(Settings current, HttpServletRequest request,
      HttpServletResponse response, long retryAfter) throws IOException {
    refuseLimited(current, request, response, Refusal.TOO_MANY_FAILURES, retryAfter);
  }

  private static void refuseLimited(Settings current, HttpServletRequest request,
      HttpServletResponse response, Refusal refusal, long retryAfter) throws IOException {
    response.setHeader("Retry-After", Long.toString(Math.max(1, retryAfter)));
    refusal.send(request, response, current.realm());
  }

  /**
   * An outage fails every request: one ERROR with the exception every 30 seconds says so without
   * flooding the log; the requests in between are logged at DEBUG.
   */
  private static void logStoreFailure(Settings current, String token, String client,
      StoreUnavailableException e) {
    long now = current.clock().millis();
    long next = current.nextFailureLog().get();
    if (now >= next && current.nextFailureLog().compareAndSet(next, now + 30_000)) {
      LOG.error("token store unavailable checking bearer token {} from {}; answering 503 (further"
          + " failures within 30 s are logged at DEBUG)", fingerprint(token), client, e);
    } else {
      LOG.debug("token store unavailable checking bearer token {} from {}; answering 503: {}",
          fingerprint(token), client, e.toString());
    }
  }

  private static String fingerprint(String token) {
    return TokenHash.sha256(token).fingerprint();
  }

  /** The path within the application, decoded and normalised by the container. */
  static String pathWithinApplication(HttpServletRequest request) {
    String servletPath = request.getServletPath();
    String pathInfo = request.getPathInfo();
    String path = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
    return path.isEmpty() ? "/" : path;
  }

  /** What a configured filter works with. Immutable; the limiter is thread-safe. */
  private record Settings(
      TokenService service,
      String realm,
      PublicPaths publicPaths,
      WindowLimiter limiter,
      WindowLimiter sessionLimiter,
      TrustedProxies proxies,
      boolean allowQuery,
      boolean allowForm,
      TokenCookies cookies,
      Clock clock,
      AtomicLong nextFailureLog) {}

  /**
   * Builds a {@link BearerTokenFilter}. Each option may be set once; defaults are the safe choice
   * and are stated on each setter. Not thread-safe.
   */
  public static final class Builder {

    private final TokenService tokenService;
    private String realm;
    private PublicPaths publicPaths;
    private Integer failureLimit;
    private Duration failureWindow;
    private Boolean allowQuery;
    private Boolean allowForm;
    private Clock clock;
    private Integer sessionLimit;
    private Duration sessionWindow;
    private String[] proxies;
    private String forwardedHeader;
    private TokenCookies cookies;

    private Builder(TokenService tokenService) {
      this.tokenService = tokenService;
    }

    /**
     * The realm named in {@code WWW-Authenticate}; quoted and escaped there. Default:
     * {@value BearerTokenFilter#DEFAULT_REALM}.
     *
     * @throws NullPointerException if {@code realm} is {@code null}
     * @throws IllegalArgumentException if it is empty, longer than 256 characters, or holds a
     *     character outside printable ASCII
     * @throws IllegalStateException if the realm was already set
     */
    public Builder realm(String realm) {
      requireUnset(this.realm, "realm");
      checkRealm(realm);
      this.realm = realm;
      return this;
    }

    /**
     * Paths that pass through unauthenticated, matched exactly against the path within the
     * application: {@code "/health"} opens {@code /health} only, not {@code /healthz-admin} nor
     * {@code /health/x}. A trailing {@code "/*"} opens a subtree: {@code "/docs/*"} opens
     * {@code /docs} and everything under {@code /docs/}. Default: none.
     *
     * @throws NullPointerException if {@code paths} or an element is {@code null}
     * @throws IllegalArgumentException if a path does not start with {@code /}, is not
     *     normalised, holds {@code *} anywhere but a trailing {@code /*}, holds {@code ?},
     *     {@code #}, {@code ;} or whitespace, or is {@code "/*"}, which would open everything
     * @throws IllegalStateException if public paths were already set
     */
    public Builder publicPaths(String... paths) {
      requireUnset(this.publicPaths, "publicPaths");
      this.publicPaths = PublicPaths.of(paths);
      return this;
    }

    /**
     * How many failed attempts one client address may make within {@code window}; past it the
     * address gets 429 with {@code Retry-After} until its window ends. Default: 20 per minute.
     *
     * @throws NullPointerException if {@code window} is {@code null}
     * @throws IllegalArgumentException if {@code limit} is below 1 or {@code window} not positive
     * @throws IllegalStateException if the failure limit was already set
     */
    public Builder failureLimit(int limit, Duration window) {
      requireUnset(this.failureLimit, "failureLimit");
      checkLimit("failureLimit", "failure window", limit, window);
      this.failureLimit = limit;
      this.failureWindow = window;
      return this;
    }

    /**
     * Whether a token may come as the {@code access_token} URI query parameter (RFC 6750 section
     * 2.3), which leaks into logs and histories. Authenticated answers to such requests get
     * {@code Cache-Control: private}. When off, such a request is unauthenticated (401), and one
     * that also has a Bearer header is invalid (400). Default: off.
     *
     * @throws IllegalStateException if already set
     */
    public Builder allowQueryParameter(boolean allow) {
      requireUnset(this.allowQuery, "allowQueryParameter");
      this.allowQuery = allow;
      return this;
    }

    /**
     * Whether a token may come as the {@code access_token} parameter of an
     * {@code application/x-www-form-urlencoded} body (RFC 6750 section 2.2) of a request other
     * than GET or HEAD. When on, the filter reads such bodies as parameters, so the application
     * can no longer read them as a stream. When off, bodies are never read. Default: off.
     *
     * @throws IllegalStateException if already set
     */
    public Builder allowFormParameter(boolean allow) {
      requireUnset(this.allowForm, "allowFormParameter");
      this.allowForm = allow;
      return this;
    }

    /**
     * The source of time for the failure window (token expiry follows the service's own clock).
     * Default: {@link Clock#systemUTC()}.
     *
     * @throws NullPointerException if {@code clock} is {@code null}
     * @throws IllegalStateException if already set
     */
    public Builder clock(Clock clock) {
      requireUnset(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Caps the requests one session (one token's device) may make within {@code window}; past it
     * the session gets 429 with {@code Retry-After} until its window ends. At most 10,000
     * sessions are tracked, the oldest window evicted first. Default: off.
     *
     * @throws NullPointerException if {@code window} is {@code null}
     * @throws IllegalArgumentException if {@code limit} is below 1 or {@code window} not positive
     * @throws IllegalStateException if already set
     */
    public Builder sessionRateLimit(int limit, Duration window) {
      requireUnset(this.sessionLimit, "sessionRateLimit");
      checkLimit("sessionRateLimit", "session rate window", limit, window);
      this.sessionLimit = limit;
      this.sessionWindow = window;
      return this;
    }

    /**
     * Reverse proxies, by IP address or CIDR block ({@code "10.0.0.0/8"}, {@code "fd00::/8"}),
     * whose forwarding header ({@link #forwardedHeader}) is believed. The client address (for the
     * failure limit, client binding and {@link #CLIENT_ADDRESS_ATTRIBUTE}) is then the rightmost
     * forwarded entry that is not one of these proxies; entries with ports, brackets or quotes are
     * read, and the list is walked however long it is. Requests from any other peer are taken at
     * their own address, whatever headers they carry: never trust forwarding headers blindly.
     * Default: none (the peer's address, as {@code getRemoteAddr()} gives it).
     *
     * @throws NullPointerException if {@code entries} or an element is {@code null}
     * @throws IllegalArgumentException if an entry is neither an IP address nor a CIDR block
     *     (names are not resolved)
     * @throws IllegalStateException if already set
     */
    public Builder trustedProxies(String... entries) {
      requireUnset(this.proxies, "trustedProxies");
      for (String entry : Objects.requireNonNull(entries, "entries")) {
        Objects.requireNonNull(entry, "trusted proxy");
      }
      TrustedProxies.of(entries);
      this.proxies = entries.clone();
      return this;
    }

    /**
     * Which header the trusted proxies write: {@code "X-Forwarded-For"} or RFC 7239's
     * {@code "Forwarded"} (its {@code for=} parameters), matched in any case. Only that one is
     * read, so a client cannot slip in the other. Default: {@code X-Forwarded-For}.
     *
     * @throws NullPointerException if {@code header} is {@code null}
     * @throws IllegalArgumentException if it is neither
     * @throws IllegalStateException if already set
     */
    public Builder forwardedHeader(String header) {
      requireUnset(this.forwardedHeader, "forwardedHeader");
      TrustedProxies.header(Objects.requireNonNull(header, "header"));
      this.forwardedHeader = header;
      return this;
    }

    /**
     * Also reads the token from {@code cookies}' access cookie, for browsers, when a request
     * sends none by {@code Authorization} (or an allowed parameter): a Bearer request is never
     * changed by a cookie. An unsafe request (anything but GET, HEAD, OPTIONS) carried by the
     * cookie must pass {@link TokenCookies#acceptsOrigin}, and a TRACE never does, else it gets 403
     * {@code forbidden}, before any lookup and without counting as a failure of its address.
     * Two access cookies are an invalid request (400). Answers the cookie authenticated get
     * {@code Cache-Control: private} and {@code getAuthType()} {@value #COOKIE_AUTH_TYPE}.
     * Setting the cookies at login and refresh is the application's: see {@link TokenCookies}.
     * Default: off, cookies are never read.
     *
     * @throws NullPointerException if {@code cookies} is {@code null}
     * @throws IllegalStateException if already set
     */
    public Builder cookies(TokenCookies cookies) {
      requireUnset(this.cookies, "cookies");
      this.cookies = Objects.requireNonNull(cookies, "cookies");
      return this;
    }

    /** The filter, ready to register; {@code init} will not change it. */
    public BearerTokenFilter build() {
      WindowLimiter limiter = new WindowLimiter(
          failureLimit == null ? DEFAULT_FAILURE_LIMIT : failureLimit,
          failureWindow == null ? DEFAULT_FAILURE_WINDOW : failureWindow,
          WindowLimiter.DEFAULT_MAX_TRACKED);
      return new BearerTokenFilter(new Settings(
          tokenService,
          realm == null ? DEFAULT_REALM : realm,
          publicPaths == null ? PublicPaths.NONE : publicPaths,
          limiter,
          sessionLimit == null ? null : new WindowLimiter(
              sessionLimit, sessionWindow, WindowLimiter.DEFAULT_MAX_TRACKED),
          proxies == null ? TrustedProxies.NONE : TrustedProxies.reading(
              forwardedHeader == null ? TrustedProxies.X_FORWARDED_FOR : forwardedHeader,
              proxies),
          Boolean.TRUE.equals(allowQuery),
          Boolean.TRUE.equals(allowForm),
          cookies,
          clock == null ? Clock.systemUTC() : clock,
          new AtomicLong(Long.MIN_VALUE)));
    }

    static void checkRealm(String realm) {
      Objects.requireNonNull(realm, "realm");
      if (realm.isEmpty() || realm.length() > MAX_REALM_LENGTH) {
        throw new IllegalArgumentException(
            "realm must be 1 to " + MAX_REALM_LENGTH + " characters: " + realm.length());
      }
      for (int i = 0; i < realm.length(); i++) {
        char c = realm.charAt(i);
        if (c < 0x20 || c > 0x7e) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "realm must be printable ASCII: U+%04X at index %d", (int) c, i));
        }
      }
    }

    static void checkLimit(String name, String windowName, int limit, Duration window) {
      Objects.requireNonNull(window, "window");
      if (limit < 1) {
        throw new IllegalArgumentException(name + " must be at least 1: " + limit);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException(windowName + " must be positive: " + window);
      }
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }
  }
}
