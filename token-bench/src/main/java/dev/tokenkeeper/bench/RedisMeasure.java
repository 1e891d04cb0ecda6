package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.redis.RedisCluster;
import dev.tokenkeeper.store.redis.RedisServer;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import redis.clients.jedis.Jedis;

/**
 * The Redis store on one Redis beside a three-master Redis Cluster, in one run, both durable
 * ({@code appendonly yes}, {@code appendfsync always}) on loopback: issue and authenticate
 * throughput (1 and 8 threads, {@link #RUN} each), single-thread authenticate latency, and Redis
 * memory per session ({@code used_memory} summed over the primaries, before and after 10,000
 * single-token sessions of 1,000 subjects with a 20-character label).
 */
final class RedisMeasure {

  private static final Duration RUN = Duration.ofSeconds(5);
  private static final int LIVE = 1_000;
  private static final int LATENCY_SAMPLES = 20_000;
  private static final int MEMORY_SESSIONS = 10_000;
  private static final String LABEL = "Firefox 128 on Linux";

  private RedisMeasure() {}

  static void run(PrintStream out) throws Exception {
    Path dir = Files.createTempDirectory("tk-redis-bench");
    List<String[]> rows = new ArrayList<>();
    try (RedisServer single = RedisServer.start(Files.createDirectories(dir.resolve("single")),
        true)) {
      rows.add(measure("single Redis", single.uri(), List.of(single.port())));
    }
    try (RedisCluster cluster = RedisCluster.start(Files.createDirectories(dir.resolve("cluster")),
        true)) {
      List<Integer> ports = cluster.nodes().stream().map(RedisServer::port).toList();
      rows.add(measure("Redis Cluster, 3 masters", cluster.uri(), ports));
    }
    out.println();
    out.println("| target | issue/s 1 thr | issue/s 8 thr | auth/s 1 thr | auth/s 8 thr"
        + " | auth p50 | auth p99 | Redis bytes/session |");
    out.println("|---|---|---|---|---|---|---|---|");
    for (String[] row : rows) {
      out.println("| " + String.join(" | ", row) + " |");
    }
  }

  private static String[] measure(String name, String uri, List<Integer> ports)
      throws Exception {
    long memory = memoryPerSession(uri, ports);
    try (RedisTokenStore store = RedisTokenStore.builder().uri(uri).keyPrefix("b:")
        .poolSize(16).build()) {
      TokenService tokens = TokenService.builder().store(store).build();
      AtomicInteger subjects = new AtomicInteger();
      Runnable issue = () -> tokens.issue("user" + subjects.incrementAndGet() % 1_000, LABEL);
      double issue1 = throughput(1, issue);
      double issue8 = throughput(8, issue);
      String[] live = new String[LIVE];
      for (int i = 0; i < LIVE; i++) {
        live[i] = tokens.issue("live" + i % 100, LABEL).plaintext();
      }
      Runnable authenticate = () -> {
        String token = live[ThreadLocalRandom.current().nextInt(LIVE)];
        if (!tokens.authenticate(token).isAuthenticated()) {
          throw new AssertionError("a live token was refused");
        }
      };
      throughput(1, authenticate); // warm-up, and every tag read once on a cluster
      double auth1 = throughput(1, authenticate);
      double auth8 = throughput(8, authenticate);
      long[] nanos = new long[LATENCY_SAMPLES];
      for (int i = 0; i < LATENCY_SAMPLES; i++) {
        long start = System.nanoTime();
        authenticate.run();
        nanos[i] = System.nanoTime() - start;
      }
      Arrays.sort(nanos);
      return new String[] {name, String.format("%,.0f", issue1), String.format("%,.0f", issue8),
          String.format("%,.0f", auth1), String.format("%,.0f", auth8),
          String.format("%.0f µs", nanos[LATENCY_SAMPLES / 2] / 1e3),
          String.format("%.0f µs", nanos[LATENCY_SAMPLES * 99 / 100] / 1e3),
          String.format("%,d", memory)};
    }
  }

  private static double throughput(int threads, Runnable call) throws InterruptedException {
    LongAdder done = new LongAdder();
    long end = System.nanoTime() + RUN.toNanos();
    Thread[] workers = new Thread[threads];
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      workers[t] = new Thread(() -> {
        while (System.nanoTime() < end) {
          call.run();
          done.increment();
        }
      });
      workers[t].start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    return done.sum() / ((System.nanoTime() - start) / 1e9);
  }

  private static long memoryPerSession(String uri, List<Integer> ports)
      throws InterruptedException {
    try (RedisTokenStore store = RedisTokenStore.builder().uri(uri).keyPrefix("m:").build()) {
      TokenService tokens = TokenService.builder().store(store).build();
      tokens.issue("warm-up", LABEL);
      long before = usedMemory(ports);
      AtomicInteger next = new AtomicInteger();
      Thread[] workers = new Thread[8]; // fsync-bound: eight at once, the same sessions
      for (int t = 0; t < workers.length; t++) {
        workers[t] = new Thread(() -> {
          for (int i; (i = next.getAndIncrement()) < MEMORY_SESSIONS; ) {
            tokens.issue("user" + i % 1_000 + "@example.com", LABEL);
          }
        });
        workers[t].start();
      }
      for (Thread worker : workers) {
        worker.join();
      }
      return (usedMemory(ports) - before) / MEMORY_SESSIONS;
    }
  }

  private static long usedMemory(List<Integer> ports) {
    long sum = 0;
    for (int port : ports) {
      try (Jedis jedis = new Jedis("127.0.0.1", port)) {
        for (String line : jedis.info("memory").split("\r\n")) {
          if (line.startsWith("used_memory:")) {
            sum += Long.parseLong(line.substring("used_memory:".length()));
          }
        }
      }
    }
    return sum;
  }
}
