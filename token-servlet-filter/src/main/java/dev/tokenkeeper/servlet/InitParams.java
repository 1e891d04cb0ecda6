package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import jakarta.servlet.FilterConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a {@link BearerTokenFilter}'s {@code web.xml} init-params into a configured filter. Every
 * problem is an {@link IllegalArgumentException} or {@link IllegalStateException} whose message
 * names the init-param and the bad value; the filter logs it once and fails closed.
 *
 * <p>The file store is loaded by name, so this module has no compile dependency on
 * token-store-file: applications that use {@code store-directory} put it on their class path,
 * others never load it.
 */
final class InitParams {

  static final String TOKEN_SERVICE_ATTRIBUTE = "token-service-attribute";
  static final String STORE_DIRECTORY = "store-directory";
  static final String REALM = "realm";
  static final String PUBLIC_PATHS = "public-paths";
  static final String FAILURE_LIMIT = "failure-limit";
  static final String FAILURE_WINDOW_SECONDS = "failure-window-seconds";
  static final String ALLOW_QUERY_PARAMETER = "allow-query-parameter";
  static final String ALLOW_FORM_PARAMETER = "allow-form-parameter";
  static final String TRUSTED_PROXIES = "trusted-proxies";
  static final String FORWARDED_HEADER = "forwarded-header";
  static final String SESSION_RATE_LIMIT = "session-rate-limit";
  static final String SESSION_RATE_WINDOW_SECONDS = "session-rate-window-seconds";
  static final String ACCESS_COOKIE = "access-cookie";
  static final String ALLOWED_ORIGINS = "allowed-origins";

  static final String FILE_STORE_CLASS = "dev.tokenkeeper.store.file.FileTokenStore";

  private static final Set<String> KNOWN = Set.of(TOKEN_SERVICE_ATTRIBUTE, STORE_DIRECTORY, REALM,
      PUBLIC_PATHS, FAILURE_LIMIT, FAILURE_WINDOW_SECONDS, ALLOW_QUERY_PARAMETER,
      ALLOW_FORM_PARAMETER, TRUSTED_PROXIES, FORWARDED_HEADER, SESSION_RATE_LIMIT,
      SESSION_RATE_WINDOW_SECONDS, ACCESS_COOKIE, ALLOWED_ORIGINS);

  /**
   * A filter configured from init-params, and the store it opened itself (to close), or
   * {@code null} when the service came from the application.
   */
  record Configured(BearerTokenFilter filter, TokenStore ownedStore) {}

  private InitParams() {}

  static Configured configure(FilterConfig config) {
    for (String name : Collections.list(config.getInitParameterNames())) {
      if (!KNOWN.contains(name)) {
        throw new IllegalArgumentException(
            "unknown init-param '" + name + "'; known: " + new TreeSet<>(KNOWN));
      }
    }
    String attribute = param(config, TOKEN_SERVICE_ATTRIBUTE);
    String directory = param(config, STORE_DIRECTORY);
    if (attribute == null && directory == null) {
      throw new IllegalStateException("set init-param '" + TOKEN_SERVICE_ATTRIBUTE
          + "' (a ServletContext attribute holding a TokenService) or '" + STORE_DIRECTORY + "'");
    }
    if (attribute != null && directory != null) {
      throw new IllegalStateException("set only one of init-params '" + TOKEN_SERVICE_ATTRIBUTE
          + "' and '" + STORE_DIRECTORY + "'");
    }
    // Validate every option before opening a store, so a typo never leaves a store open.
    Options options = Options.read(config);
    if (attribute != null) {
      Object service = config.getServletContext().getAttribute(attribute);
      if (service == null) {
        throw new IllegalStateException("ServletContext attribute '" + attribute
            + "' (init-param " + TOKEN_SERVICE_ATTRIBUTE + ") holds no TokenService; set it from"
            + " a ServletContextListener");
      }
      if (!(service instanceof TokenService)) {
        throw new IllegalStateException("ServletContext attribute '" + attribute + "' holds a "
            + service.getClass().getName() + ", not a " + TokenService.class.getName());
      }
      return new Configured(options.apply((TokenService) service), null);
    }
    TokenStore store = openFileStore(directory);
    try {
      return new Configured(options.apply(TokenService.builder().store(store).build()), store);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  private static TokenStore openFileStore(String directory) {
    Path path;
    try {
      path = Path.of(directory);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "init-param " + STORE_DIRECTORY + " is not a path: " + directory, e);
    }
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = InitParams.class.getClassLoader();
    }
    Method open;
    try {
      open = Class.forName(FILE_STORE_CLASS, true, loader).getMethod("open", Path.class);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("init-param " + STORE_DIRECTORY + " needs "
          + FILE_STORE_CLASS + " (artifact dev.tokenkeeper:token-store-file) on the class path;"
          + " it is not there");
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(
          FILE_STORE_CLASS + " has no public static open(java.nio.file.Path); versions differ?");
    }
    Object store;
    try {
      store = open.invoke(null, path);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalStateException(
          "could not open the file token store in " + path + ": " + cause, cause);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(FILE_STORE_CLASS + ".open is not accessible", e);
    }
    if (!(store instanceof TokenStore)) {
      throw new IllegalStateException(FILE_STORE_CLASS + ".open returned a "
          + (store == null ? "null" : store.getClass().getName()) + ", not a TokenStore");
    }
    return (TokenStore) store;
  }

  private static String param(FilterConfig config, String name) {
    String value = config.getInitParameter(name);
    if (value == null) {
      return null;
    }
    value = value.strip();
    if (value.isEmpty()) {
      throw new IllegalArgumentException("init-param " + name + " is empty");
    }
    return value;
  }

  /** The scalar options, parsed and checked; applied to a builder once a service exists. */
  private static final class Options {
    String realm;
    String[] publicPaths;
    Integer failureLimit;
    Duration failureWindow;
    Boolean allowQuery;
    Boolean allowForm;
    String[] trustedProxies;
    String forwardedHeader;
    Integer sessionLimit;
    Duration sessionWindow;
    TokenCookies cookies;

    static Options read(FilterConfig config) {
      Options options = new Options();
      options.realm = param(config, REALM);
      if (options.realm != null) {
        check(REALM, () -> BearerTokenFilter.Builder.checkRealm(options.realm));
      }
      String paths = param(config, PUBLIC_PATHS);
      if (paths != null) {
        options.publicPaths = paths.split("[,\\s]+");
        check(PUBLIC_PATHS, () -> PublicPaths.of(options.publicPaths));
      }
      String limit = param(config, FAILURE_LIMIT);
      String seconds = param(config, FAILURE_WINDOW_SECONDS);
      if (limit != null || seconds != null) {
        options.failureLimit =
            limit == null
                ? BearerTokenFilter.DEFAULT_FAILURE_LIMIT
                : parseInt(FAILURE_LIMIT, limit);
        options.failureWindow = seconds == null
            ? BearerTokenFilter.DEFAULT_FAILURE_WINDOW
            : Duration.ofSeconds(parseInt(FAILURE_WINDOW_SECONDS, seconds));
        check(FAILURE_LIMIT + "/" + FAILURE_WINDOW_SECONDS, () -> BearerTokenFilter.Builder
            .checkLimit("failureLimit", "failure window", options.failureLimit, options.failureWindow));
      }
      options.allowQuery = parseBoolean(config, ALLOW_QUERY_PARAMETER);
      options.allowForm = parseBoolean(config, ALLOW_FORM_PARAMETER);
      String proxies = param(config, TRUSTED_PROXIES);
      if (proxies != null) {
        options.trustedProxies = proxies.split("[,\\s]+");
        check(TRUSTED_PROXIES, () -> TrustedProxies.of(options.trustedProxies));
      }
      options.forwardedHeader = param(config, FORWARDED_HEADER);
      if (options.forwardedHeader != null) {
        check(FORWARDED_HEADER, () -> TrustedProxies.header(options.forwardedHeader));
      }
      String sessionLimit = param(config, SESSION_RATE_LIMIT);
      String sessionSeconds = param(config, SESSION_RATE_WINDOW_SECONDS);
      if (sessionLimit != null || sessionSeconds != null) {
        if (sessionLimit == null || sessionSeconds == null) {
          throw new IllegalArgumentException("set both init-params " + SESSION_RATE_LIMIT
              + " and " + SESSION_RATE_WINDOW_SECONDS + ", or neither");
        }
        options.sessionLimit = parseInt(SESSION_RATE_LIMIT, sessionLimit);
        options.sessionWindow =
            Duration.ofSeconds(parseInt(SESSION_RATE_WINDOW_SECONDS, sessionSeconds));
        check(SESSION_RATE_LIMIT + "/" + SESSION_RATE_WINDOW_SECONDS, () -> BearerTokenFilter
            .Builder.checkLimit("sessionRateLimit", "session rate window", options.sessionLimit, options.sessionWindow));
      }
      String accessCookie = param(config, ACCESS_COOKIE);
      String origins = param(config, ALLOWED_ORIGINS);
      if (origins != null && accessCookie == null) {
        throw new IllegalArgumentException("init-param " + ALLOWED_ORIGINS + " needs "
            + ACCESS_COOKIE + " (the origins matter only for requests carried by the cookie)");
      }
      if (accessCookie != null) {
        TokenCookies.Builder cookies = TokenCookies.builder();
        check(ACCESS_COOKIE, () -> cookies.accessCookie(accessCookie));
        if (origins != null) {
          check(ALLOWED_ORIGINS, () -> cookies.allowedOrigins(origins.split("[,\\s]+")));
        }
        options.cookies = cookies.build();
      }
      return options;
    }

    BearerTokenFilter apply(TokenService service) {
      BearerTokenFilter.Builder builder = BearerTokenFilter.builder(service);
      if (realm != null) {
        builder.realm(realm);
      }
      if (publicPaths != null) {
        builder.publicPaths(publicPaths);
      }
      if (failureLimit != null) {
        builder.failureLimit(failureLimit, failureWindow);
      }
      if (allowQuery != null) {
        builder.allowQueryParameter(allowQuery);
      }
      if (allowForm != null) {
        builder.allowFormParameter(allowForm);
      }
      if (trustedProxies != null) {
        builder.trustedProxies(trustedProxies);
      }
      if (forwardedHeader != null) {
        builder.forwardedHeader(forwardedHeader);
      }
      if (sessionLimit != null) {
        builder.sessionRateLimit(sessionLimit, sessionWindow);
      }
      if (cookies != null) {
        builder.cookies(cookies);
      }
      return builder.build();
    }

    private static void check(String name, Runnable validation) {
      try {
        validation.run();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("init-param " + name + ": " + e.getMessage(), e);
      }
    }

    private static int parseInt(String name, String value) {
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("init-param " + name + " is not a number: " + value);
      }
    }

    private static Boolean parseBoolean(FilterConfig config, String name) {
      String value = param(config, name);
      if (value == null) {
        return null;
      }
      switch (value.toLowerCase(Locale.ROOT)) {
        case "true":
          return Boolean.TRUE;
        case "false":
          return Boolean.FALSE;
        default:
          throw new IllegalArgumentException(
              "init-param " + name + " must be true or false: " + value);
      }
    }
  }
}
