package dev.tokenkeeper.servlet;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The cookies that carry a browser's tokens, and the stateless check that keeps other sites from
 * sending requests with them (cross-site request forgery). A browser application has no safe
 * place for a bearer token (any injected script can read {@code localStorage}); an
 * {@code HttpOnly} cookie is out of every script's reach.
 *
 * <pre>{@code
 * TokenCookies cookies = TokenCookies.builder()
 *     .refreshPath("/auth/refresh")                  // the default
 *     .allowedOrigins("https://app.example.com")     // other origins whose pages may call
 *     .build();
 * BearerTokenFilter filter = BearerTokenFilter.builder(tokens).cookies(cookies).build();
 *
 * // Login and refresh endpoints (public paths), for a browser:
 * if (!cookies.acceptsOrigin(request)) { ... 403 ... }
 * response.addHeader("Set-Cookie", cookies.accessCookie(pair.access().plaintext(), accessTtl));
 * cookies.refreshCookies(pair.refreshPlaintext(), refreshTtl)
 *     .forEach(c -> response.addHeader("Set-Cookie", c));
 * Optional<String> presented = cookies.refreshToken(request);   // at the refresh path
 * }</pre>
 *
 * <p><b>The cookies.</b> The access cookie (default {@value #DEFAULT_ACCESS_COOKIE}) is
 * {@code Path=/; Secure; HttpOnly; SameSite=Strict}; its {@code __Host-} prefix makes browsers
 * refuse it unless it was set over a secure connection, without {@code Domain}, for
 * {@code Path=/}, so a sibling subdomain cannot plant or shadow it. The refresh cookie (default
 * {@value #DEFAULT_REFRESH_COOKIE}) has the same attributes but is sent only to the refresh path;
 * a {@code __Host-} cookie must have {@code Path=/}, so it carries the {@code __Secure-} prefix
 * instead. Browsers treat {@code http://localhost} and {@code http://127.0.0.1} as secure, so
 * both cookies work there over plain HTTP; anywhere else they need HTTPS.
 *
 * <p><b>The binder.</b> A sibling subdomain may still set a {@code __Secure-} cookie with
 * {@code Domain=} the parent, so it could plant its own refresh token (signing a visitor in to
 * its account) or a second one (making every renewal ambiguous). So the refresh cookie always
 * comes with the binder cookie {@value #BINDER_COOKIE} ({@code __Host-}, out of a sibling's
 * reach), holding a digest of that refresh token which reveals nothing of it, and
 * {@link #refreshToken} takes only the refresh cookie the binder names. Cookies are shared by
 * every port of a host, and no attribute changes that: run nothing untrusted on another port of
 * the application's host.
 *
 * <p><b>Forgery.</b> {@code SameSite=Strict} keeps other sites' requests from carrying the
 * cookies, but not those of another origin on the same site (another port or a sibling
 * subdomain). {@link #acceptsOrigin} closes that gap without server state: an unsafe request
 * must come from the application's own origin or an allowed one, as the browser reports in
 * {@code Sec-Fetch-Site} and {@code Origin}, headers no page can forge.
 *
 * <p><b>Secrecy.</b> Token values are never logged nor put in an exception message.
 *
 * <p>Immutable and thread-safe; share one.
 */
public final class TokenCookies {

  /** The access cookie's name unless one is set. */
  public static final String DEFAULT_ACCESS_COOKIE = "__Host-tk_access";

  /** The refresh cookie's name unless one is set. */
  public static final String DEFAULT_REFRESH_COOKIE = "__Secure-tk_refresh";

  /** The one path the refresh cookie is sent to unless one is set. */
  public static final String DEFAULT_REFRESH_PATH = "/auth/refresh";

  /** The cookie naming which refresh cookie is the server's own (see the class comment). */
  public static final String BINDER_COOKIE = "__Host-tk_bind";

  private static final String BINDER_CONTEXT = "tokenkeeper refresh cookie binder\0";
  private static final String HOST_PREFIX = "__Host-";
  private static final String SECURE_PREFIX = "__Secure-";
  private static final String ATTRIBUTES = "; Secure; HttpOnly; SameSite=Strict";
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

  private final String accessName;
  private final String refreshName;
  private final String refreshPath;
  private final Set<Origin> allowedOrigins;

  private TokenCookies(String accessName, String refreshName, String refreshPath,
      Set<Origin> allowedOrigins) {
    this.accessName = accessName;
    this.refreshName = refreshName;
    this.refreshPath = refreshPath;
    this.allowedOrigins = allowedOrigins;
  }

  /** A builder; every option has a safe default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The access cookie's name. */
  public String accessCookieName() {
    return accessName;
  }

  /** The refresh cookie's name. */
  public String refreshCookieName() {
    return refreshName;
  }

  /** The path the refresh cookie is scoped to. */
  public String refreshPath() {
    return refreshPath;
  }

  /**
   * A {@code Set-Cookie} value carrying an access token for {@code maxAge}.
   *
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if {@code token} holds a character a cookie value cannot
   *     (it is not an RFC 6750 b64token), or {@code maxAge} is under one second
   */
  public String accessCookie(String token, Duration maxAge) {
    return cookie(accessName, token, "/", maxAge);
  }

  /**
   * Two {@code Set-Cookie} values for a refresh token, valid {@code maxAge}: the refresh cookie,
   * sent back only to {@link #refreshPath()}, and the binder cookie {@value #BINDER_COOKIE}
   * naming it. Write both, always together.
   *
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException as {@link #accessCookie}
   */
  public List<String> refreshCookies(String token, Duration maxAge) {
    String refresh = cookie(refreshName, token, refreshPath, maxAge);
    return List.of(refresh, cookie(BINDER_COOKIE, binder(token), "/", maxAge));
  }

  /**
   * {@code Set-Cookie} values that delete the access, refresh and binder cookies: for a logout,
   * or a refresh that failed.
   */
  public List<String> clearingCookies() {
    return List.of(accessName + "=; Path=/; Max-Age=0" + ATTRIBUTES,
        refreshName + "=; Path=" + refreshPath + "; Max-Age=0" + ATTRIBUTES,
        BINDER_COOKIE + "=; Path=/; Max-Age=0" + ATTRIBUTES);
  }

  /**
   * The refresh token {@code request} carries in the refresh cookie the binder cookie names: empty
   * when there is no binder, more than one, or no refresh cookie matching it. Refresh cookies the
   * binder does not name (planted by a sibling subdomain) are ignored. The value is as sent,
   * unchecked: hand it to {@code TokenService.refresh}.
   */
  public Optional<String> refreshToken(HttpServletRequest request) {
    List<String> binders = values(request, BINDER_COOKIE);
    if (binders.size() != 1) {
      return Optional.empty();
    }
    byte[] expected = binders.get(0).getBytes(StandardCharsets.US_ASCII);
    for (String value : values(request, refreshName)) {
      if (MessageDigest.isEqual(expected, binder(value).getBytes(StandardCharsets.US_ASCII))) {
        return Optional.of(value);
      }
    }
    return Optional.empty();
  }

  /** A digest of {@code token} naming it without revealing it (it is not the store's hash). */
  private static String binder(String token) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(BINDER_CONTEXT.getBytes(StandardCharsets.US_ASCII));
      byte[] digest = sha256.digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * Whether {@code request} may act with the cookies it carries. Safe methods (GET, HEAD,
   * OPTIONS) always may; they must not change anything. TRACE never may: a servlet's default
   * answer echoes the request's headers, the {@code HttpOnly} cookie included. Any other method
   * (POST, PUT, PATCH, DELETE, any other) may only when the browser says it comes from this origin
   * ({@code Sec-Fetch-Site: same-origin}), or its {@code Origin} is one of the allowed origins,
   * or, from a browser too old to send {@code Sec-Fetch-Site}, its {@code Origin} is the
   * request's own (scheme, {@code Host} and port). A request with neither header is refused: no
   * browser sends an unsafe request without {@code Origin}, and a client that is not a browser
   * has no reason to carry the cookies.
   *
   * <p>Behind a proxy that changes the scheme or host, name the public origin in
   * {@link Builder#allowedOrigins}.
   */
  public boolean acceptsOrigin(HttpServletRequest request) {
    String method = request.getMethod();
    if (SAFE_METHODS.contains(method)) {
      return true;
    }
    if (method.equals("TRACE")) {
      return false;
    }
    List<String> sites = headers(request, "Sec-Fetch-Site");
    if (sites.size() == 1 && sites.get(0).equals("same-origin")) {
      return true;
    }
    List<String> origins = headers(request, "Origin");
    if (origins.size() != 1 || sites.size() > 1) {
      return false;
    }
    Origin origin = Origin.parse(origins.get(0));
    if (origin == null) {
      return false;
    }
    if (allowedOrigins.contains(origin)) {
      return true;
    }
    // A browser that sends Sec-Fetch-Site has said this is not its own origin.
    return sites.isEmpty() && origin.equals(Origin.of(request));
  }

  /** The access cookie's values in {@code request}, for the filter: several are refused. */
  List<String> accessTokens(HttpServletRequest request) {
    return values(request, accessName);
  }

  private static String cookie(String name, String token, String path, Duration maxAge) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(maxAge, "maxAge");
    if (!Credentials.isB64Token(token)) {
      throw new IllegalArgumentException("token is not an RFC 6750 b64token (value withheld)");
    }
    if (maxAge.getSeconds() < 1) {
      throw new IllegalArgumentException("maxAge must be at least one second: " + maxAge);
    }
    return name + "=" + token + "; Path=" + path + "; Max-Age=" + maxAge.getSeconds()
        + ATTRIBUTES;
  }

  private static List<String> values(HttpServletRequest request, String name) {
    Cookie[] cookies = request.getCookies();
    if (cookies == null) {
      return List.of();
    }
    List<String> values = new ArrayList<>(1);
    for (Cookie cookie : cookies) {
      if (cookie.getName().equals(name)) {
        values.add(cookie.getValue());
      }
    }
    return values;
  }

  private static List<String> headers(HttpServletRequest request, String name) {
    List<String> values = new ArrayList<>(1);
    var all = request.getHeaders(name);
    while (all != null && all.hasMoreElements()) {
      values.add(all.nextElement());
    }
    return values;
  }

  @Override
  public String toString() {
    return "TokenCookies[" + accessName + ", " + refreshName + " at " + refreshPath
        + ", allowed origins " + allowedOrigins + "]";
  }

  /**
   * Builds {@link TokenCookies}. Each option may be set once; defaults are stated on each
   * setter. Not thread-safe.
   */
  public static final class Builder {

    private String accessName;
    private String refreshName;
    private String refreshPath;
    private Set<Origin> allowedOrigins;

    private Builder() {}

    /**
     * The access cookie's name. Default: {@value TokenCookies#DEFAULT_ACCESS_COOKIE}.
     *
     * @throws NullPointerException if {@code name} is {@code null}
     * @throws IllegalArgumentException if it does not start with {@code __Host-} or is not an
     *     HTTP token (letters, digits, {@code !#$%&'*+-.^_`|~})
     * @throws IllegalStateException if already set
     */
    public Builder accessCookie(String name) {
      requireUnset(accessName, "accessCookie");
      accessName = checkName(name, HOST_PREFIX);
      return this;
    }

    /**
     * The refresh cookie's name. Default: {@value TokenCookies#DEFAULT_REFRESH_COOKIE}.
     *
     * @throws NullPointerException if {@code name} is {@code null}
     * @throws IllegalArgumentException if it does not start with {@code __Secure-} (a
     *     {@code __Host-} cookie cannot be scoped to a path) or is not an HTTP token
     * @throws IllegalStateException if already set
     */
    public Builder refreshCookie(String name) {
      requireUnset(refreshName, "refreshCookie");
      refreshName = checkName(name, SECURE_PREFIX);
      return this;
    }

    /**
     * The path of the refresh endpoint, the only one the refresh cookie is sent to. Default:
     * {@value TokenCookies#DEFAULT_REFRESH_PATH}.
     *
     * @throws NullPointerException if {@code path} is {@code null}
     * @throws IllegalArgumentException if it does not start with {@code /}, is not normalised,
     *     is {@code /} (the refresh token would go with every request), or holds {@code *},
     *     {@code ?}, {@code #}, {@code ;}, whitespace or control characters
     * @throws IllegalStateException if already set
     */
    public Builder refreshPath(String path) {
      requireUnset(refreshPath, "refreshPath");
      Objects.requireNonNull(path, "path");
      if (path.equals("/")) {
        throw new IllegalArgumentException(
            "refreshPath \"/\" would send the refresh token with every request");
      }
      PublicPaths.requireValid(path, path);
      refreshPath = path;
      return this;
    }

    /**
     * Origins besides the request's own whose pages may send unsafe requests with the cookies
     * (see {@link TokenCookies#acceptsOrigin}), each {@code scheme://host[:port]} as the
     * {@code Origin} header writes it: {@code "https://app.example.com"}. Default: none.
     *
     * @throws NullPointerException if {@code origins} or an element is {@code null}
     * @throws IllegalArgumentException if an element is not an {@code http} or {@code https}
     *     origin (a path, even {@code /}, a query, user information, {@code *} and
     *     {@code null} are refused)
     * @throws IllegalStateException if already set
     */
    public Builder allowedOrigins(String... origins) {
      requireUnset(allowedOrigins, "allowedOrigins");
      Set<Origin> parsed = new LinkedHashSet<>();
      for (String text : Objects.requireNonNull(origins, "origins")) {
        Objects.requireNonNull(text, "allowed origin");
        Origin origin = Origin.parse(text);
        if (origin == null) {
          throw new IllegalArgumentException(
              "allowed origin must be scheme://host[:port] (http or https): " + text);
        }
        parsed.add(origin);
      }
      allowedOrigins = Set.copyOf(parsed);
      return this;
    }

    /** The cookies, with the defaults for what was not set. */
    public TokenCookies build() {
      String access = accessName == null ? DEFAULT_ACCESS_COOKIE : accessName;
      String refresh = refreshName == null ? DEFAULT_REFRESH_COOKIE : refreshName;
      return new TokenCookies(access, refresh,
          refreshPath == null ? DEFAULT_REFRESH_PATH : refreshPath,
          allowedOrigins == null ? Set.of() : allowedOrigins);
    }

    private static String checkName(String name, String prefix) {
      Objects.requireNonNull(name, "name");
      if (!name.startsWith(prefix) || name.length() == prefix.length()) {
        throw new IllegalArgumentException(
            "cookie name must start with " + prefix + " and go on: " + name);
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        boolean token = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        if (!token) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "cookie name must be an HTTP token: U+%04X at index %d", (int) c, i));
        }
      }
      return name;
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }
  }
}
