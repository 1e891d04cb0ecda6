package dev.tokenkeeper.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

/**
 * The demo's PostgreSQL store: {@code --store postgresql://USER[:PASSWORD]@HOST[:PORT]/DB} opens
 * a HikariCP pool and a {@link JdbcTokenStore} on it, creating the schema on first start. The
 * password comes from {@value #PASSWORD_ENV} or else the URI, and is never echoed: no message
 * here repeats the URI.
 *
 * <p>Timeouts are a few seconds everywhere (pool, connect, login, socket, statement, cancel), so
 * with the database down or hanging a request answers 503 within about three seconds, well
 * inside the five promised, and never hangs; the pool reconnects by itself once the database is
 * back.
 */
final class JdbcStores {

  /** The environment variable holding the database password; it wins over one in the URI. */
  static final String PASSWORD_ENV = "TOKENKEEPER_DB_PASSWORD";

  private static final String SCHEME = "postgresql";

  private JdbcStores() {}

  /** Whether {@code store} names a PostgreSQL database rather than another kind of store. */
  static boolean isPostgres(String store) {
    return store != null && store.startsWith(SCHEME + "://");
  }

  /**
   * Checks the URI's shape, for the command line parser.
   *
   * @throws IllegalArgumentException naming what is wrong, never repeating the URI
   */
  static String requireValid(String store) {
    parse(store);
    return store;
  }

  /**
   * Opens the pool and the store; closing the store closes the pool too. The pool publishes its
   * usage ({@code hikaricp.connections.*}) on {@code registry}.
   *
   * @throws StoreUnavailableException if the database cannot be reached or refuses the login,
   *     saying why in words that hold no password
   */
  static TokenStore open(String store, Map<String, String> env, MeterRegistry registry) {
    URI uri = parse(store);
    String[] userInfo = uri.getRawUserInfo().split(":", 2);
    String user = URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8);
    String password = env.get(PASSWORD_ENV);
    String passwordFrom = PASSWORD_ENV;
    if (password == null && userInfo.length == 2) {
      password = URLDecoder.decode(userInfo[1], StandardCharsets.UTF_8);
      passwordFrom = "the --store URI";
    }
    String database = uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort())
        + uri.getRawPath();
    HikariConfig config = new HikariConfig();
    config.setPoolName("tokenkeeper");
    config.setJdbcUrl("jdbc:postgresql://" + database
        // A statement against a hung server times out, then its cancel request waits too (10 s
        // by default): cancelSignalTimeout bounds that wait, socketTimeout the whole call.
        + "?connectTimeout=2&loginTimeout=3&socketTimeout=3&cancelSignalTimeout=1"
        + "&tcpKeepAlive=true&logServerErrorDetail=false");
    config.setUsername(user);
    config.setPassword(password);
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    config.setMaximumPoolSize(10);
    config.setMetricRegistry(registry);
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      // The pool's first connection failed; its message would start with the pool's class name.
      if (!(e.getCause() instanceof SQLException cause)) {
        throw e;
      }
      throw new StoreUnavailableException("cannot log in to PostgreSQL at " + database + " as "
          + user + ": " + whyRefused(cause, password == null ? null : passwordFrom), cause);
    }
    try {
      JdbcTokenStore jdbc = JdbcTokenStore.builder().dataSource(pool)
          .createSchemaIfMissing(true).statementTimeout(Duration.ofSeconds(2)).build();
      return new PoolClosing(jdbc, pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Why a first connection failed, for the one line the demo prints before it exits: never the
   * password, only where it came from ({@code passwordFrom}, or null if none was given).
   */
  private static String whyRefused(SQLException e, String passwordFrom) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.equals("28P01")) {
      return "the password from " + passwordFrom + " was refused";
    }
    if (passwordFrom == null && state.equals("08004")) {
      // The driver's own message: the server asked for a password and there was none to give.
      return "the server asks for a password; set " + PASSWORD_ENV;
    }
    if (state.startsWith("28")) {
      return "the server refused the login (SQLState " + state + ")";
    }
    // Network failures: the driver says which address it could not reach, and quotes no value.
    return e.getMessage() + " (SQLState " + state + ")";
  }

  private static URI parse(String store) {
    URI uri;
    try {
      uri = new URI(store);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--store is not a valid URI (the value is not shown: it"
          + " may hold a password)");
    }
    String path = uri.getRawPath();
    if (!SCHEME.equals(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() == null
        || uri.getRawUserInfo().startsWith(":") || path == null || path.length() < 2
        || path.indexOf('/', 1) >= 0 || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("--store must be postgresql://USER@HOST[:PORT]/DB"
          + " (password in " + PASSWORD_ENV + " or the URI; the value is not shown)");
    }
    return uri;
  }

  /** The JDBC store, closing the demo's own pool after it. */
  private static final class PoolClosing extends ForwardingTokenStore {

    private final HikariDataSource pool;

    PoolClosing(JdbcTokenStore store, HikariDataSource pool) {
      super(store);
      this.pool = pool;
    }

    @Override
    public void close() {
      try {
        super.close();
      } finally {
        pool.close();
      }
    }
  }
}
