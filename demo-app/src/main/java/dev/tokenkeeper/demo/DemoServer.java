package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.servlet.BearerTokenFilter;
import dev.tokenkeeper.servlet.TokenCookies;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The demo backend: Jetty 12 (ee10) with the Bearer filter in front of {@code /api/*} and
 * {@code /auth/*}, tokens in a {@link FileTokenStore} under the data directory (or in Redis with
 * {@code --store}), and proposals in a JSON file in the data directory; HTTPS only with
 * {@code --tls-keystore}. The page at {@code /} signs in with the filter's cookie transport; API
 * clients send {@code Authorization: Bearer}. Metrics at {@code /metrics} and an audit log
 * ({@link Observability}). Built only from Tokenkeeper's public API, as an application would be.
 */
final class DemoServer implements AutoCloseable {

  static final String TOKENS_DIR = "tokens";
  static final String PROPOSALS_FILE = "proposals.json";
  /** Access tokens live an hour; the refresh token renews them for the 7-day session. */
  static final Duration ACCESS_TTL = Duration.ofHours(1);
  /** Requests per session per minute: generous for a person, a brake on a runaway script. */
  static final int SESSION_RATE_LIMIT = 600;

  private final Server server;
  private final ServerConnector connector;
  private final TokenStore store;
  private final String scheme;
  private final Observability observability;

  private DemoServer(Server server, ServerConnector connector, TokenStore store, String scheme,
      Observability observability) {
    this.server = server;
    this.connector = connector;
    this.store = store;
    this.scheme = scheme;
    this.observability = observability;
  }

  /**
   * Opens the stores and starts serving; returns once connections are accepted.
   *
   * @throws dev.tokenkeeper.core.StoreUnavailableException if the token store is in use or broken
   * @throws Exception if Jetty cannot start (the port is taken, say)
   */
  static DemoServer start(DemoOptions options, Clock clock) throws Exception {
    return start(options, clock, System.getenv(), Accounts::verify);
  }

  /**
   * As {@link #start(DemoOptions, Clock)}, with the environment ({@value
   * DemoOptions#TLS_PASSWORD_ENV}, {@value DemoOptions#REDIS_PASSWORD_ENV}) and the password check
   * given.
   *
   * @throws InsecureDataException if the data or store directory or a file in them is writable
   *     by group or others
   * @throws IllegalArgumentException if the keystore cannot be opened or its password is missing
   */
  static DemoServer start(DemoOptions options, Clock clock, Map<String, String> env,
      AuthServlet.PasswordCheck passwords) throws Exception {
    Path dataDir = createPrivateDirectory(options.dataDir());
    PrivateFiles.check(dataDir);
    SslContextFactory.Server tls = options.tlsKeystore() == null ? null
        : Tls.contextFactory(options.tlsKeystore(), env.get(DemoOptions.TLS_PASSWORD_ENV));
    Observability observability = new Observability(clock);
    TokenStore store;
    try {
      store = openStore(options, dataDir, clock, env, observability.registry());
    } catch (RuntimeException e) {
      observability.close();
      throw e;
    }
    try {
      TokenService tokens = observability.observe(TokenService.builder(), store)
          .clock(storeClock(store, clock))
          .accessTtl(ACCESS_TTL)
          .build();
      ProposalStore proposals = new ProposalStore(dataDir.resolve(PROPOSALS_FILE), clock);
      // A request whose body trickles in holds a thread while the servlet reads it; over TLS the
      // handshakes of new clients need threads too. Jetty's default ceiling (200) keeps a few
      // dozen stalled bodies from starving everyone else until the 10 s idle timeout drops them.
      // Buffers are not pooled: in Jetty 12.1.14 a request refused as malformed can hand its
      // connection's request buffer back to the pool while another thread is still filling it,
      // and the next connection to take that buffer parses those bytes as the start of its own
      // request (jetty/jetty.project#12939 reports the same release). Over TLS the other
      // client's connection was then closed with no answer; over plain HTTP an attacker's bytes
      // were handled as a request on another client's connection. A buffer that is never reused
      // cannot carry them.
      Server server = new Server(new QueuedThreadPool(200, 8), null,
          new ByteBufferPool.NonPooling());
      HttpConfiguration http = new HttpConfiguration();
      http.setSendServerVersion(false);
      http.setRequestHeaderSize(16 * 1024);
      ServerConnector connector;
      if (tls == null) {
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
      } else {
        http.addCustomizer(Tls.strictTransportSecurity());
        connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"),
            new HttpConnectionFactory(http));
      }
      connector.setHost(options.host());
      connector.setPort(options.port());
      connector.setIdleTimeout(10_000);
      server.addConnector(connector);

      ServletContextHandler context = new ServletContextHandler("/");
      context.setErrorHandler(new JsonErrorHandler());
      // The page's own origin only: it is served from this server, so no origin is allowed.
      TokenCookies cookies = TokenCookies.builder().refreshPath("/auth/refresh").build();
      BearerTokenFilter filter = BearerTokenFilter.builder(tokens)
          .realm("tokenkeeper-demo")
          .cookies(cookies)
          .publicPaths("/auth/login", "/auth/refresh")
          .sessionRateLimit(SESSION_RATE_LIMIT, Duration.ofMinutes(1))
          .trustedProxies(options.trustedProxies().toArray(String[]::new))
          .clock(clock)
          .build();
      FilterHolder holder = new FilterHolder(filter);
      EnumSet<DispatcherType> requests = EnumSet.of(DispatcherType.REQUEST);
      context.addFilter(holder, "/api/*", requests);
      context.addFilter(holder, "/auth/*", requests);
      DeviceCookies devices = DeviceCookies.open(dataDir, tls != null);
      SessionCap cap = new SessionCap(tokens, options.maxSessions());
      context.addServlet(new ServletHolder(
          new AuthServlet(tokens, clock, passwords, devices, cap, cookies)), "/auth/*");
      context.addServlet(new ServletHolder(new ProposalServlet(proposals)), "/api/*");
      context.addServlet(new ServletHolder(new HealthServlet()), "/health");
      ServletHolder page = new ServletHolder(new PageServlet());
      for (String path : PageServlet.PATHS) {
        context.addServlet(page, path);
      }
      context.addServlet(new ServletHolder(
          new MetricsServlet(observability.registry(), options.metricsPublic())), "/metrics");
      context.addServlet(new ServletHolder(new NotFoundServlet()), "/");

      // Lets requests in flight finish on stop, while new ones are refused.
      server.setHandler(new GracefulHandler(context));
      server.setErrorHandler(new JsonErrorHandler());
      server.setStopTimeout(5_000);
      server.start();
      return new DemoServer(server, connector, store, options.scheme(), observability);
    } catch (Exception | Error e) {
      store.close();
      observability.close();
      throw e;
    }
  }

  /** The store {@code --store} names (PostgreSQL or Redis), else the file store in the data dir. */
  private static TokenStore openStore(DemoOptions options, Path dataDir, Clock clock,
      Map<String, String> env, MeterRegistry registry) {
    if (JdbcStores.isPostgres(options.store())) {
      return JdbcStores.open(options.store(), env, registry);
    }
    if (options.store() != null) {
      RedisTokenStore.Builder redis = RedisTokenStore.builder()
          .uri(RedisPassword.apply(options.store(), env.get(DemoOptions.REDIS_PASSWORD_ENV)))
          .clock(clock);
      // Instances sharing Redis record last use and expiry on Redis's clock, so one whose own
      // clock runs fast cannot put uses in the others' future. A test's clock stays in charge.
      if (clock.equals(Clock.systemUTC())) {
        redis.redisClock();
      }
      return redis.build();
    }
    return FileTokenStore.builder().directory(dataDir.resolve(TOKENS_DIR)).clock(clock).build();
  }

  /** The clock sessions are stamped with: the Redis store's own (see openStore), else the demo's. */
  private static Clock storeClock(TokenStore store, Clock clock) {
    return store instanceof RedisTokenStore redis ? redis.clock() : clock;
  }

  /** The port actually bound (useful with port 0). */
  int port() {
    return connector.getLocalPort();
  }

  /** Where the server answers, e.g. {@code http://127.0.0.1:8080} or {@code https://...}. */
  URI uri() {
    String host = connector.getHost().contains(":") ? "[" + connector.getHost() + "]"
        : connector.getHost();
    return URI.create(scheme + "://" + host + ":" + port());
  }

  /** Stops accepting, lets requests in flight finish (up to 5 s), then closes the token store. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the server cleanly", e);
    } finally {
      try {
        store.close();
      } finally {
        observability.close();
      }
    }
  }

  private static Path createPrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return dir;
    }
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return Files.createDirectories(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    return Files.createDirectories(dir);
  }
}
