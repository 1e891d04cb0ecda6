package dev.tokenkeeper.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The demo's PostgreSQL store: {@code --store postgresql://USER[:PASSWORD]@HOST[:PORT]/DB} opens
 * a HikariCP pool and a {@link JdbcTokenStore} on it, creating the schema on first start. The
 * password comes from {@value #PASSWORD_ENV} or else the URI, and is never echoed: no message
 * here repeats the URI.
 *
 * <p>Timeouts are a few seconds everywhere (pool, connect, login, socket, statement), so with the
 * database down a request answers 503 within about five seconds and never hangs, and the pool
 * reconnects by itself once the database is back.
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
   */
  static TokenStore open(String store, Map<String, String> env, MeterRegistry registry) {
    URI uri = parse(store);
    String[] userInfo = uri.getRawUserInfo().split(":", 2);
    String password = env.get(PASSWORD_ENV);
    if (password == null && userInfo.length == 2) {
      password = URLDecoder.decode(userInfo[1], StandardCharsets.UTF_8);
    }
    HikariConfig config = new HikariConfig();
    config.setPoolName("tokenkeeper");
    config.setJdbcUrl("jdbc:postgresql://" + uri.getHost() + ":"
        + (uri.getPort() < 0 ? 5432 : uri.getPort()) + uri.getRawPath()
        + "?connectTimeout=2&loginTimeout=3&socketTimeout=4&tcpKeepAlive=true"
        + "&logServerErrorDetail=false");
    config.setUsername(URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8));
    config.setPassword(password);
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    config.setMaximumPoolSize(10);
    config.setMetricRegistry(registry);
    HikariDataSource pool = new HikariDataSource(config);
    try {
      JdbcTokenStore jdbc = JdbcTokenStore.builder().dataSource(pool)
          .createSchemaIfMissing(true).statementTimeout(Duration.ofSeconds(3)).build();
      return new PoolClosing(jdbc, pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
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
  private record PoolClosing(JdbcTokenStore store, HikariDataSource pool) implements TokenStore {

    @Override
    public void create(SessionRecord session, List<TokenRecord> tokens) {
      store.create(session, tokens);
    }

    @Override
    public Optional<TokenEntry> find(TokenHash hash) {
      return store.find(hash);
    }

    @Override
    public Optional<SessionRecord> findSession(SessionId id) {
      return store.findSession(id);
    }

    @Override
    public List<SessionRecord> findSessions(String subject) {
      return store.findSessions(subject);
    }

    @Override
    public boolean rotate(Rotation rotation) {
      return store.rotate(rotation);
    }

    @Override
    public boolean revokeSession(SessionId id, Instant at) {
      return store.revokeSession(id, at);
    }

    @Override
    public int revokeAll(String subject, Instant at) {
      return store.revokeAll(subject, at);
    }

    @Override
    public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
      store.touch(id, lastUsedAt, expiresAt);
    }

    @Override
    public int purgeExpired(Instant now) {
      return store.purgeExpired(now);
    }

    @Override
    public void close() {
      try {
        store.close();
      } finally {
        pool.close();
      }
    }
  }
}
