package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenService;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings under {@code tokenkeeper.*}: session lifetimes, client binding, limits on refused
 * tokens and on requests per session, which store keeps the sessions, and the opt-in session
 * endpoints. Every setting has a safe default; an application
 * typically sets only {@code tokenkeeper.store.type} and the store's location.
 *
 * <p>Bound once at startup; the service is built from it then. Values out of range fail the
 * startup naming the property, with the {@link TokenService.Builder}'s reason.
 */
@ConfigurationProperties("tokenkeeper")
public class TokenkeeperProperties {

  /** How long a session lives after login, whatever its use. */
  // Defaults written out, not TokenService's constants, so the metadata shows them; a test
  // holds them equal.
  private Duration absoluteTtl = Duration.ofDays(7);

  /**
   * Ends a session unused this long; each use extends it, never past the absolute lifetime. Off
   * when unset.
   */
  private Duration idleTimeout;

  /**
   * Lifetime of the access token of a pair issued by issuePair; the client then refreshes. Unset:
   * 15 minutes, or the absolute lifetime if shorter.
   */
  private Duration accessTtl;

  /**
   * How long a rotated refresh token may still be presented and get the same new pair (two tabs,
   * a lost response); after it, a reuse revokes the session as stolen. 0 to 5 minutes.
   */
  private Duration refreshGrace = Duration.ofSeconds(10);

  private final Binding binding = new Binding();

  private final Limits limits = new Limits();

  private final Store store = new Store();

  private final Web web = new Web();

  public Duration getAbsoluteTtl() {
    return absoluteTtl;
  }

  public void setAbsoluteTtl(Duration absoluteTtl) {
    this.absoluteTtl = absoluteTtl;
  }

  public Duration getIdleTimeout() {
    return idleTimeout;
  }

  public void setIdleTimeout(Duration idleTimeout) {
    this.idleTimeout = idleTimeout;
  }

  public Duration getAccessTtl() {
    return accessTtl;
  }

  public void setAccessTtl(Duration accessTtl) {
    this.accessTtl = accessTtl;
  }

  public Duration getRefreshGrace() {
    return refreshGrace;
  }

  public void setRefreshGrace(Duration refreshGrace) {
    this.refreshGrace = refreshGrace;
  }

  public Binding getBinding() {
    return binding;
  }

  public Limits getLimits() {
    return limits;
  }

  public Store getStore() {
    return store;
  }

  public Web getWeb() {
    return web;
  }

  /**
   * Client binding: a token presented from another network or user agent than the one it was
   * issued to is refused. Off by default, since mobile clients change networks; the address is
   * the request's remote address, so behind a proxy set {@code server.forward-headers-strategy}.
   */
  public static class Binding {

    /** Leading bits of an IPv4 client address that must match (0 to 32; 0: not bound). */
    private int ipv4PrefixBits;

    /** Leading bits of an IPv6 client address that must match (0 to 128; 0: not bound). */
    private int ipv6PrefixBits;

    /** Whether the User-Agent header must match the one at login. */
    private boolean userAgent;

    public int getIpv4PrefixBits() {
      return ipv4PrefixBits;
    }

    public void setIpv4PrefixBits(int ipv4PrefixBits) {
      this.ipv4PrefixBits = ipv4PrefixBits;
    }

    public int getIpv6PrefixBits() {
      return ipv6PrefixBits;
    }

    public void setIpv6PrefixBits(int ipv6PrefixBits) {
      this.ipv6PrefixBits = ipv6PrefixBits;
    }

    public boolean isUserAgent() {
      return userAgent;
    }

    public void setUserAgent(boolean userAgent) {
      this.userAgent = userAgent;
    }

    boolean isOn() {
      return ipv4PrefixBits != 0 || ipv6PrefixBits != 0 || userAgent;
    }
  }

  /**
   * Limits on requests that present a bearer token, as token-servlet-filter's BearerTokenFilter
   * applies them, checked by the auto-configured introspector before the token is looked up. Off
   * unless set. Past a limit a request gets 429 with Retry-After, never a 401. The client address
   * is the request's remote address: behind a reverse proxy set server.forward-headers-strategy,
   * or every client shares the proxy's limit.
   */
  public static class Limits {

    /**
     * Refused tokens one client address (an IPv6 address by its /64) may present within the
     * failure window; past it, every request of that address with a token gets 429 until the
     * window ends. Off when unset.
     */
    private Integer failureLimit;

    /** The window of the failure limit, opened by an address's first refused token. */
    private Duration failureWindow = Duration.ofMinutes(1);

    /**
     * Requests one session may make within the session rate window; past it, 429 until the window
     * ends. Off when unset; set session-rate-window with it.
     */
    private Integer sessionRateLimit;

    /** The window of the session rate limit, opened by the session's first request in it. */
    private Duration sessionRateWindow;

    public Integer getFailureLimit() {
      return failureLimit;
    }

    public void setFailureLimit(Integer failureLimit) {
      this.failureLimit = failureLimit;
    }

    public Duration getFailureWindow() {
      return failureWindow;
    }

    public void setFailureWindow(Duration failureWindow) {
      this.failureWindow = failureWindow;
    }

    public Integer getSessionRateLimit() {
      return sessionRateLimit;
    }

    public void setSessionRateLimit(Integer sessionRateLimit) {
      this.sessionRateLimit = sessionRateLimit;
    }

    public Duration getSessionRateWindow() {
      return sessionRateWindow;
    }

    public void setSessionRateWindow(Duration sessionRateWindow) {
      this.sessionRateWindow = sessionRateWindow;
    }
  }

  /** Where sessions are kept. */
  public static class Store {

    /**
     * The store. Unset: jdbc when token-store-jdbc and a DataSource are present, redis when
     * token-store-redis and Redis settings are, else file.
     */
    private StoreType type;

    private final File file = new File();

    private final Redis redis = new Redis();

    private final Jdbc jdbc = new Jdbc();

    public StoreType getType() {
      return type;
    }

    public void setType(StoreType type) {
      this.type = type;
    }

    public File getFile() {
      return file;
    }

    public Redis getRedis() {
      return redis;
    }

    public Jdbc getJdbc() {
      return jdbc;
    }
  }

  /** The kinds of store. */
  public enum StoreType {
    /** A durable store in a local directory (token-store-file): one application instance. */
    FILE,
    /** Redis (token-store-redis): sessions shared by several instances. */
    REDIS,
    /** The application's database through its DataSource (token-store-jdbc). */
    JDBC,
    /** Memory only: every session ends with the process. For tests. */
    MEMORY
  }

  /** The file store. */
  public static class File {

    /**
     * Directory of the file store, relative to the working directory unless absolute; created
     * owner-only (0700) if missing. One running application may use it at a time.
     */
    private Path directory = Path.of("tokenkeeper-data");

    public Path getDirectory() {
      return directory;
    }

    public void setDirectory(Path directory) {
      this.directory = directory;
    }
  }

  /** The Redis store. */
  public static class Redis {

    /**
     * The server, as redis://[[user]:password@]host[:port][/db] or rediss://...; unset: taken
     * from spring.data.redis.url, or spring.data.redis.host and its neighbours.
     */
    private String uri;

    /** Prefix of every key the store writes, so applications can share one Redis. */
    private String keyPrefix = "tk:";

    public String getUri() {
      return uri;
    }

    public void setUri(String uri) {
      this.uri = uri;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }
  }

  /** The JDBC store. */
  public static class Jdbc {

    /**
     * Whether to create the two tables at startup when missing; set false when Flyway or
     * Liquibase runs db/tokenkeeper/V1__tokenkeeper.sql instead.
     */
    private boolean createSchema = true;

    public boolean isCreateSchema() {
      return createSchema;
    }

    public void setCreateSchema(boolean createSchema) {
      this.createSchema = createSchema;
    }
  }

  /** HTTP endpoints. */
  public static class Web {

    private final Endpoints endpoints = new Endpoints();

    public Endpoints getEndpoints() {
      return endpoints;
    }
  }

  /** The session endpoints: refresh, logout, logout-all, list and revoke own sessions. */
  public static class Endpoints {

    /** Whether to serve them. Login stays the application's. */
    private boolean enabled;

    /** Path they are served under. */
    private String basePath = "/auth";

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getBasePath() {
      return basePath;
    }

    public void setBasePath(String basePath) {
      this.basePath = basePath;
    }
  }
}
