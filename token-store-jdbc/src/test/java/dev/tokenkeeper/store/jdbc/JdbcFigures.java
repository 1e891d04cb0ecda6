package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.TokenService;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Rough figures, run by hand (not a test): authenticate latency, durable logins per second at 1
 * and 16 threads, and bytes per session, against a throwaway local PostgreSQL server (default
 * settings: fsync and synchronous_commit on) through {@link TestPool}.
 *
 * <pre>
 * mvn -B -q -pl token-store-jdbc -am test-compile -DskipTests
 * mvn -B -q -pl token-store-jdbc dependency:build-classpath \
 *     -Dmdep.outputFile=target/figures.classpath
 * java -cp token-store-jdbc/target/test-classes:token-store-jdbc/target/classes:$(cat \
 *     token-store-jdbc/target/figures.classpath) dev.tokenkeeper.store.jdbc.JdbcFigures
 * </pre>
 */
final class JdbcFigures {

  private static final int TOKENS = 1_000;
  private static final int WARMUP = 5_000;
  private static final int MEASURED = 20_000;
  private static final long RUN_NANOS = 3_000_000_000L;
  private static final int SIZE_SESSIONS = 10_000;

  private JdbcFigures() {}

  public static void main(String[] args) throws Exception {
    try (PostgresServer server = PostgresServer.start();
        TestPool pool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"))) {
      JdbcTokenStore store =
          JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build();
      TokenService tokens = TokenService.builder().store(store).build();
      String[] issued = new String[TOKENS];
      for (int i = 0; i < TOKENS; i++) {
        issued[i] = tokens.issue("user" + (i % 100), "device").plaintext();
      }
      for (int i = 0; i < WARMUP; i++) {
        tokens.authenticate(issued[i % TOKENS]);
      }
      long[] nanos = new long[MEASURED];
      for (int i = 0; i < MEASURED; i++) {
        long start = System.nanoTime();
        tokens.authenticate(issued[i % TOKENS]);
        nanos[i] = System.nanoTime() - start;
      }
      Arrays.sort(nanos);
      System.out.printf("authenticate p50 %.0f us, p99 %.0f us%n",
          nanos[MEASURED / 2] / 1e3, nanos[MEASURED * 99 / 100] / 1e3);
      for (int threads : new int[] {1, 16}) {
        System.out.printf("logins/s at %d threads: %.0f%n", threads, logins(tokens, threads));
      }
      try (Connection connection = pool.getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute("TRUNCATE tokenkeeper_token, tokenkeeper_session");
        for (int i = 0; i < SIZE_SESSIONS; i++) {
          tokens.issuePair("size" + (i % 100), "Firefox on Linux",
              new dev.tokenkeeper.core.Client("203.0.113.7", "Firefox"));
        }
        statement.execute("VACUUM ANALYZE tokenkeeper_session");
        statement.execute("VACUUM ANALYZE tokenkeeper_token");
        try (ResultSet row = statement.executeQuery(
            "SELECT pg_total_relation_size('tokenkeeper_session')"
                + " + pg_total_relation_size('tokenkeeper_token')")) {
          row.next();
          System.out.printf("bytes per session (a pair: session + 2 tokens, indexes included):"
              + " %d%n", row.getLong(1) / SIZE_SESSIONS);
        }
      }
      store.close();
    }
  }

  private static double logins(TokenService tokens, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicBoolean stop = new AtomicBoolean();
    LongAdder done = new LongAdder();
    List<Future<?>> futures = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(pool.submit(() -> {
        while (!stop.get()) {
          tokens.issue("load" + thread, "device");
          done.increment();
        }
        return null;
      }));
    }
    while (System.nanoTime() - start < RUN_NANOS) {
      Thread.sleep(50);
    }
    stop.set(true);
    for (Future<?> future : futures) {
      future.get();
    }
    pool.shutdown();
    return done.sum() / ((System.nanoTime() - start) / 1e9);
  }
}
