package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import redis.clients.jedis.RedisClient;

/**
 * Rough figures for the README and release notes, run by hand (not a test): authenticate latency
 * and throughput against a local redis-server with and without the near cache, beside the
 * in-memory store, and Redis memory per token. Starts its own redis-server on loopback.
 *
 * <pre>
 * mvn -B -q -pl token-store-redis test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/figures.classpath
 * java -cp token-store-redis/target/test-classes:token-store-redis/target/classes:$(cat \
 *     token-store-redis/target/figures.classpath) dev.tokenkeeper.store.redis.RedisFigures
 * </pre>
 */
final class RedisFigures {

  private static final int TOKENS = 1_000;
  private static final int WARMUP = 20_000;
  private static final int MEASURED = 50_000;
  private static final int THREADS = 8;
  private static final Duration THROUGHPUT_RUN = Duration.ofSeconds(3);
  private static final int MEMORY_TOKENS = 10_000;

  private RedisFigures() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("redis-figures");
    try (RedisServer server = RedisServer.start(dir, true)) {
      System.out.printf("%-28s %9s %9s %9s %12s%n", "store", "p50 us", "p99 us", "mean us",
          "ops/s x" + THREADS);
      run("in-memory (baseline)", new InMemoryTokenStore());
      run("redis", RedisTokenStore.builder().uri(server.uri()).keyPrefix("f1:").build());
      run("redis + near cache 2s", RedisTokenStore.builder().uri(server.uri()).keyPrefix("f2:")
          .nearCacheTtl(Duration.ofSeconds(2)).build());
      memory(server);
    }
  }

  private static void run(String name, TokenStore store) throws Exception {
    try (store) {
      TokenService tokens = TokenService.builder().store(store).build();
      String[] presented = new String[TOKENS];
      for (int i = 0; i < TOKENS; i++) {
        presented[i] = tokens.issue("user" + (i % 100), "Firefox 128 on Linux").plaintext();
      }
      for (int i = 0; i < WARMUP; i++) {
        authenticate(tokens, presented);
      }
      long[] nanos = new long[MEASURED];
      for (int i = 0; i < MEASURED; i++) {
        long start = System.nanoTime();
        authenticate(tokens, presented);
        nanos[i] = System.nanoTime() - start;
      }
      Arrays.sort(nanos);
      double mean = Arrays.stream(nanos).average().orElse(0);
      System.out.printf("%-28s %9.1f %9.1f %9.1f %12.0f%n", name, nanos[MEASURED / 2] / 1e3,
          nanos[MEASURED * 99 / 100] / 1e3, mean / 1e3, throughput(tokens, presented));
    }
  }

  private static double throughput(TokenService tokens, String[] presented) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    AtomicBoolean stop = new AtomicBoolean();
    LongAdder done = new LongAdder();
    List<Future<?>> futures = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < THREADS; t++) {
      futures.add(pool.submit(() -> {
        while (!stop.get()) {
          authenticate(tokens, presented);
          done.increment();
        }
      }));
    }
    Thread.sleep(THROUGHPUT_RUN.toMillis());
    stop.set(true);
    for (Future<?> future : futures) {
      future.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    return done.sum() / seconds;
  }

  private static void authenticate(TokenService tokens, String[] presented) {
    String token = presented[ThreadLocalRandom.current().nextInt(presented.length)];
    if (!tokens.authenticate(token).isAuthenticated()) {
      throw new AssertionError("a live token was refused");
    }
  }

  private static void memory(RedisServer server) {
    try (RedisClient raw = RedisClient.create(server.uri());
        RedisTokenStore store = RedisTokenStore.builder().uri(server.uri()).keyPrefix("tk:")
            .build()) {
      TokenService tokens = TokenService.builder().store(store).build();
      long before = usedMemory(raw);
      for (int i = 0; i < MEMORY_TOKENS; i++) {
        tokens.issue("user" + i % 1_000 + "@example.com", "Firefox 128 on Linux");
      }
      long after = usedMemory(raw);
      System.out.printf("Redis memory: %d tokens of 1,000 subjects (20-char label): %d bytes"
          + " per token (used_memory %d -> %d)%n", MEMORY_TOKENS,
          (after - before) / MEMORY_TOKENS, before, after);
    }
  }

  private static long usedMemory(RedisClient raw) {
    for (String line : raw.info("memory").split("\r\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()));
      }
    }
    throw new IllegalStateException("no used_memory in INFO memory");
  }
}
