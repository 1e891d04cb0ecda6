package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Rough figures for the README, run by hand (never a test): issue cost at several store sizes,
 * SYNC throughput by thread count, open time and heap with many live tokens, bytes per token.
 * The token-bench module does this properly with JMH.
 *
 * <pre>
 * mvn -q -pl token-store-file test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * CP=token-store-file/target/classes:token-store-file/target/test-classes:$(cat \
 *     token-store-file/target/cp.txt)
 * java -Xmx3g -cp $CP dev.tokenkeeper.store.file.StoreFigures /var/tmp/figures 1000000
 * java -Xmx3g -XX:+UseSerialGC -cp $CP dev.tokenkeeper.store.file.StoreFigures \
 *     /var/tmp/figures 1000000 open
 * </pre>
 */
public final class StoreFigures {

  private StoreFigures() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : "/var/tmp/tokenkeeper-figures");
    int max = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    if (args.length > 2 && args[2].equals("open")) {
      measureOpen(root.resolve("size-" + max));
      return;
    }
    delete(root);
    List<Sample> sample = records(20_000);
    try (FileTokenStore warmUp = FileTokenStore.builder().directory(root.resolve("warm-up"))
        .durability(Durability.NONE).build()) {
      fill(warmUp, 50_000);
    }
    System.out.println("== issue cost per token (NONE: CPU and append; SYNC: with fsync)");
    for (int size : new int[] {1_000, 100_000, max}) {
      Path dir = root.resolve("size-" + size);
      // No background compaction, so the figure is the cost of one append.
      try (FileTokenStore store = FileTokenStore.builder().directory(dir)
          .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).build()) {
        fill(store, size);
        long start = System.nanoTime();
        for (Sample record : sample.subList(0, 10_000)) {
          record.createIn(store);
        }
        long none = (System.nanoTime() - start) / 10_000;
        System.out.printf("%,10d live: NONE %,7d ns/issue%n", size, none);
      }
      try (FileTokenStore store = FileTokenStore.builder().directory(dir)
          .compactionThreshold(Long.MAX_VALUE).build()) {
        long start = System.nanoTime();
        for (Sample record : sample.subList(10_000, 10_500)) {
          record.createIn(store);
        }
        long sync = (System.nanoTime() - start) / 500;
        System.out.printf("%,10d live: SYNC %,7d ns/issue (1 thread)%n", size, sync);
      }
    }
    System.out.println("== durable (SYNC) issues per second by threads");
    for (int threads : new int[] {1, 4, 16}) {
      Path dir = root.resolve("threads-" + threads);
      try (FileTokenStore store = FileTokenStore.open(dir)) {
        System.out.printf("%2d threads: %,8d issues/s%n", threads, throughput(store, threads));
      }
    }
    System.out.println("== disk with " + max + " live tokens");
    Path big = root.resolve("size-" + max);
    System.out.printf("log only: %,d bytes on disk = %d bytes/token%n", size(big),
        size(big) / (max + 10_500));
    try (FileTokenStore store = FileTokenStore.open(big)) {
      store.compact();
    }
    System.out.printf("after compaction: %,d bytes on disk = %d bytes/token%n", size(big),
        size(big) / (max + 10_500));
  }

  /** Run in a fresh JVM with -XX:+UseSerialGC so the heap figure is only the store's. */
  private static void measureOpen(Path big) throws InterruptedException {
    long before = usedHeap();
    long start = System.nanoTime();
    FileTokenStore store = FileTokenStore.open(big);
    long openMillis = (System.nanoTime() - start) / 1_000_000;
    long after = usedHeap();
    System.out.printf("open: %,d ms; heap: %,d MB for %,d sessions = %d bytes/session%n",
        openMillis,
        (after - before) >> 20, store.liveCount(), (after - before) / store.liveCount());
    store.close();
  }

  private static List<Sample> records(int n) {
    List<Sample> records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      records.add(record(i));
    }
    return records;
  }

  /** A single-token session to create. */
  private record Sample(SessionRecord session, TokenRecord token) {
    void createIn(FileTokenStore store) {
      store.create(session, List.of(token));
    }
  }

  /** A session of one of 100k users with one token, with a typical device label. */
  private static Sample record(int i) {
    var s = TokenStoreContract.session("user" + (i % 100_000) + "@example.com",
        Duration.ofDays(3650)).session();
    SessionRecord session = SessionRecord.of(new dev.tokenkeeper.core.Session(s.id(),
        s.subject(), "Firefox " + (i % 20) + " on Linux", s.createdAt(), s.lastUsedAt(),
        s.expiresAt()), null, null);
    return new Sample(session, TokenStoreContract.token(session.id()));
  }

  private static void fill(FileTokenStore store, int n) {
    for (int i = 0; i < n; i++) {
      record(i).createIn(store);
    }
  }

  private static long throughput(FileTokenStore store, int threads) throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong count = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          record(i).createIn(store);
          count.incrementAndGet();
        }
      });
      workers.add(worker);
      worker.start();
    }
    Thread.sleep(500);
    long from = count.get();
    Instant start = Instant.now();
    Thread.sleep(3_000);
    long done = count.get() - from;
    long millis = Duration.between(start, Instant.now()).toMillis();
    stop.set(true);
    for (Thread worker : workers) {
      worker.join();
    }
    return done * 1000 / millis;
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void delete(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
