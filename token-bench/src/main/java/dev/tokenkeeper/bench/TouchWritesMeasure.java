package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.FileTokenStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Sliding expiry without write amplification: two threads authenticate random tokens of a file
 * store, with an idle timeout on, for a fixed time; the log's growth says how many last-used /
 * expiry records reached the disk, against how many requests there were. A touch record is a
 * 66-byte frame (8-byte header, type, hash, two instants), the only kind written while it runs.
 */
final class TouchWritesMeasure {

  private static final int TOUCH_FRAME_BYTES = 8 + 1 + 33 + 24;

  private TouchWritesMeasure() {}

  static void run(PrintStream out, int tokens, Duration runFor, Duration persistInterval)
      throws Exception {
    Path dir = Files.createTempDirectory("tk-touch");
    FileTokenStore store = FileTokenStore.builder().directory(dir)
        .touchPersistInterval(persistInterval).compactionThreshold(1L << 40).build();
    try {
      TokenService service = TokenService.builder().store(store)
          .idleTimeout(Duration.ofMinutes(30)).build();
      List<String> secrets = new ArrayList<>(tokens);
      for (int i = 0; i < tokens; i++) {
        secrets.add(service.issue("user" + (i % 100)).plaintext());
      }
      long before = logBytes(dir);
      LongAdder requests = new LongAdder();
      long end = System.nanoTime() + runFor.toNanos();
      Thread[] threads = new Thread[2];
      for (int t = 0; t < threads.length; t++) {
        threads[t] = new Thread(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          while (System.nanoTime() < end) {
            if (!service.authenticate(secrets.get(random.nextInt(tokens))).isAuthenticated()) {
              throw new AssertionError("a live token was refused");
            }
            requests.increment();
          }
        });
        threads[t].start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      long during = (logBytes(dir) - before) / TOUCH_FRAME_BYTES;
      store.close();
      long total = (logBytes(dir) - before) / TOUCH_FRAME_BYTES;
      out.printf("| sliding expiry, %d tokens, %d s, persist every %d s | %,d requests | "
              + "%,d touch records written while running, %,d after close | %.0f requests per "
              + "write |%n", tokens, runFor.toSeconds(), persistInterval.toSeconds(),
          requests.sum(), during, total, requests.sum() / (double) Math.max(1, total));
    } finally {
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static long logBytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("log-"))
          .mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
