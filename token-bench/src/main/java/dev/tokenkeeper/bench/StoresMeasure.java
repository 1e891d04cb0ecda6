package dev.tokenkeeper.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.file.Durability;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import dev.tokenkeeper.store.jdbc.PostgresServer;
import dev.tokenkeeper.store.redis.RedisServer;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.opentest4j.TestAbortedException;
import redis.clients.jedis.RedisClient;

/**
 * The Stores group: the three durable stores side by side, in one process and one run, each
 * against real storage: the file store ({@link Durability#SYNC}) in a temporary directory, Redis
 * ({@code appendonly yes}, {@code appendfsync always}) and PostgreSQL (default settings: {@code
 * fsync} and {@code synchronous_commit} on) started here by the tests' own fixtures on loopback,
 * the JDBC store through a HikariCP pool. Every figure goes through {@link TokenService}, as an
 * application calls it; a login is {@link TokenService#issuePair} (what the demo's login does),
 * acknowledged once the store says it is durable.
 *
 * <p>Per store, in order: {@value #SIZE_SESSIONS} logins on 16 threads, and the storage they
 * added divided by their number (PostgreSQL: {@code pg_total_relation_size} of both tables, their
 * indexes included; Redis: {@code used_memory}; file: bytes of the store's files); then the
 * latency of {@link TokenService#authenticate} on one thread over {@value #AUTH_TOKENS} of those
 * access tokens, without and (Redis, PostgreSQL) with a 2 s near cache; then durable logins per
 * second on 1 and 16 threads.
 */
final class StoresMeasure {

  private static final int SIZE_SESSIONS = 10_000;
  private static final int AUTH_TOKENS = 1_000;
  private static final int AUTH_WARMUP = 10_000;
  private static final int AUTH_MEASURED = 20_000;
  private static final int[] LOGIN_THREADS = {1, 16};
  private static final Duration LOGIN_WARMUP = Duration.ofSeconds(2);
  private static final Duration LOGIN_RUN = Duration.ofSeconds(5);
  private static final Duration NEAR_CACHE_TTL = Duration.ofSeconds(2);
  private static final int POOL_SIZE = 16;
  private static final Client CLIENT = new Client("203.0.113.7", Fixtures.LABEL);

  /** A store kind under measure: opens stores on its storage and says what they occupy. */
  private interface Backend extends AutoCloseable {

    String name();

    /** A new store on the same storage; {@code nearCache} only where the store has one. */
    TokenStore open(boolean nearCache);

    boolean hasNearCache();

    /** Bytes the storage holds for the store now. */
    long bytes() throws Exception;

    @Override
    void close() throws IOException;
  }

  /** Starts a backend's storage. */
  private interface Opener {
    Backend open() throws Exception;
  }

  /** One row of the summary. */
  private record Row(String store, double bytesPerSession, long[] auth, long[] authNearCache,
      double[] loginsPerSecond) {}

  private StoresMeasure() {}

  static void run(PrintStream out) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (Opener opener : List.<Opener>of(FileBackend::new, RedisBackend::new,
        PostgresBackend::new)) {
      try (Backend backend = opener.open()) {
        rows.add(measure(backend));
      } catch (TestAbortedException notInstalled) {
        // The fixture's one line says which server is missing and how to install it.
        System.err.println("stores: skipped: " + notInstalled.getMessage());
      }
    }
    out.println();
    out.println("# Stores: authenticate latency (1 thread), durable logins/s, bytes per session");
    out.println("| store | authenticate p50 / p99 | with near cache 2 s: p50 / p99"
        + " | logins/s, 1 thread | logins/s, 16 threads | bytes per session |");
    out.println("|---|---|---|---|---|---|");
    for (Row row : rows) {
      out.printf(Locale.ROOT, "| %s | %s / %s | %s | %,.0f | %,.0f | %,.0f |%n", row.store(),
          micros(row.auth()[0]), micros(row.auth()[1]),
          row.authNearCache() == null ? "(none)"
              : micros(row.authNearCache()[0]) + " / " + micros(row.authNearCache()[1]),
          row.loginsPerSecond()[0], row.loginsPerSecond()[1], row.bytesPerSession());
    }
    out.flush();
  }

  private static Row measure(Backend backend) throws Exception {
    System.err.println("stores: " + backend.name());
    try (TokenStore store = backend.open(false)) {
      TokenService tokens = service(store);
      long before = backend.bytes();
      String[] access = loginAll(tokens, SIZE_SESSIONS, 16);
      double bytesPerSession = (double) (backend.bytes() - before) / SIZE_SESSIONS;
      String[] presented = Arrays.copyOf(access, AUTH_TOKENS);
      long[] auth = authenticate(tokens, presented);
      long[] nearCache = null;
      if (backend.hasNearCache()) {
        try (TokenStore cached = backend.open(true)) {
          nearCache = authenticate(service(cached), presented);
        }
      }
      double[] logins = new double[LOGIN_THREADS.length];
      for (int i = 0; i < LOGIN_THREADS.length; i++) {
        logins[i] = loginsPerSecond(tokens, LOGIN_THREADS[i]);
      }
      return new Row(backend.name(), bytesPerSession, auth, nearCache, logins);
    }
  }

  private static TokenService service(TokenStore store) {
    return TokenService.builder().store(store).build();
  }

  private static IssuedPair login(TokenService tokens, int n) {
    return tokens.issuePair("user" + (n % 1_000) + "@example.com", Fixtures.LABEL, CLIENT);
  }

  /** {@code count} logins on {@code threads} threads; their access tokens, in login order. */
  private static String[] loginAll(TokenService tokens, int count, int threads)
      throws Exception {
    String[] access = new String[count];
    AtomicInteger next = new AtomicInteger();
    onThreads(threads, () -> {
      for (int n; (n = next.getAndIncrement()) < count; ) {
        access[n] = login(tokens, n).access().plaintext();
      }
    });
    return access;
  }

  /** p50 and p99 in nanoseconds of one thread authenticating {@code presented} in turn. */
  private static long[] authenticate(TokenService tokens, String[] presented) {
    for (int i = 0; i < AUTH_WARMUP; i++) {
      authenticateOne(tokens, presented[i % presented.length]);
    }
    long[] nanos = new long[AUTH_MEASURED];
    for (int i = 0; i < AUTH_MEASURED; i++) {
      String token = presented[i % presented.length];
      long start = System.nanoTime();
      authenticateOne(tokens, token);
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    return new long[] {nanos[AUTH_MEASURED / 2], nanos[AUTH_MEASURED * 99 / 100]};
  }

  private static void authenticateOne(TokenService tokens, String token) {
    if (!tokens.authenticate(token, CLIENT).isAuthenticated()) {
      throw new AssertionError("a live token was refused");
    }
  }

  /** Logins acknowledged per second on {@code threads} threads, after a warm-up. */
  private static double loginsPerSecond(TokenService tokens, int threads) throws Exception {
    AtomicBoolean measuring = new AtomicBoolean();
    LongAdder done = new LongAdder();
    AtomicInteger next = new AtomicInteger();
    long runNanos = LOGIN_WARMUP.plus(LOGIN_RUN).toNanos();
    long start = System.nanoTime();
    long[] measuredFrom = new long[1];
    Thread timer = new Thread(() -> {
      sleepUntil(start + LOGIN_WARMUP.toNanos());
      measuredFrom[0] = System.nanoTime();
      measuring.set(true);
    });
    timer.start();
    onThreads(threads, () -> {
      while (System.nanoTime() - start < runNanos) {
        login(tokens, next.getAndIncrement());
        if (measuring.get()) {
          done.increment();
        }
      }
    });
    timer.join();
    return done.sum() / ((System.nanoTime() - measuredFrom[0]) / 1e9);
  }

  private static void onThreads(int threads, Runnable work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(work));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void sleepUntil(long nanoTime) {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      try {
        Thread.sleep(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static String micros(long nanos) {
    return nanos >= 1_000_000 ? String.format(Locale.ROOT, "%.1f ms", nanos / 1e6)
        : String.format(Locale.ROOT, "%.0f µs", nanos / 1e3);
  }

  /** The file store, {@link Durability#SYNC}, in a temporary directory; no near cache. */
  private static final class FileBackend implements Backend {

    private final Path dir = Fixtures.tempDirectory("stores-file");

    @Override
    public String name() {
      return "file (SYNC)";
    }

    @Override
    public TokenStore open(boolean nearCache) {
      return FileTokenStore.builder().directory(dir).durability(Durability.SYNC).build();
    }

    @Override
    public boolean hasNearCache() {
      return false;
    }

    @Override
    public long bytes() {
      return Fixtures.sizeOnDisk(dir);
    }

    @Override
    public void close() {
      Fixtures.delete(dir);
    }
  }

  /** A redis-server of its own: append-only, every write forced before it is acknowledged. */
  private static final class RedisBackend implements Backend {

    private final Path dir = Fixtures.tempDirectory("stores-redis");
    private final RedisServer server;
    private final RedisClient raw;
    private final String version;

    RedisBackend() throws Exception {
      server = RedisServer.start(dir, true);
      raw = RedisClient.create(server.uri());
      version = info("server", "redis_version");
    }

    @Override
    public String name() {
      return "Redis " + version + " (appendfsync always)";
    }

    @Override
    public TokenStore open(boolean nearCache) {
      RedisTokenStore.Builder builder = RedisTokenStore.builder().uri(server.uri())
          .keyPrefix("bench:").poolSize(POOL_SIZE);
      if (nearCache) {
        builder.nearCacheTtl(NEAR_CACHE_TTL).clock(Clock.systemUTC());
      }
      return builder.build();
    }

    @Override
    public boolean hasNearCache() {
      return true;
    }

    @Override
    public long bytes() {
      return Long.parseLong(info("memory", "used_memory"));
    }

    private String info(String section, String field) {
      for (String line : raw.info(section).split("\r\n")) {
        if (line.startsWith(field + ":")) {
          return line.substring(field.length() + 1);
        }
      }
      throw new IllegalStateException("no " + field + " in INFO " + section);
    }

    @Override
    public void close() {
      try {
        raw.close();
        server.close();
      } finally {
        Fixtures.delete(dir);
      }
    }
  }

  /** A PostgreSQL server of its own, at its default settings, through one HikariCP pool. */
  private static final class PostgresBackend implements Backend {

    private final PostgresServer server;
    private final HikariDataSource pool;
    private final String version;

    PostgresBackend() throws Exception {
      server = PostgresServer.start();
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(server.url("connectTimeout=2&socketTimeout=10&tcpKeepAlive=true"));
      config.setMaximumPoolSize(POOL_SIZE);
      config.setConnectionTimeout(2_000);
      pool = new HikariDataSource(config);
      JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build().close();
      version = query("SHOW server_version").split(" ")[0];
    }

    @Override
    public String name() {
      return "PostgreSQL " + version + " (JDBC, HikariCP)";
    }

    @Override
    public TokenStore open(boolean nearCache) {
      JdbcTokenStore.Builder builder = JdbcTokenStore.builder().dataSource(pool);
      if (nearCache) {
        builder.nearCacheTtl(NEAR_CACHE_TTL).clock(Clock.systemUTC());
      }
      return builder.build();
    }

    @Override
    public boolean hasNearCache() {
      return true;
    }

    @Override
    public long bytes() throws SQLException {
      return Long.parseLong(query("SELECT pg_total_relation_size('tokenkeeper_session')"
          + " + pg_total_relation_size('tokenkeeper_token')"));
    }

    private String query(String sql) throws SQLException {
      try (Connection connection = pool.getConnection();
          Statement statement = connection.createStatement();
          ResultSet row = statement.executeQuery(sql)) {
        row.next();
        return row.getString(1);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        pool.close();
      } finally {
        server.close();
      }
    }
  }
}
