package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.store.file.Durability;
import dev.tokenkeeper.store.file.FileTokenStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The Open group: how long a restart takes and what heap the live set costs. For each size a
 * store is filled with live records ({@link Durability#NONE}, compaction off, so the log holds
 * every save), then opened in a fresh JVM several times; then compacted once and opened again;
 * then opened with a thousand sessions of new users saved after the compaction, as a server
 * restarts with the log's tail to replay; then compacted again and opened with a tenth of the
 * sessions used since.
 * Each child JVM reports the time {@code build()} took, and the heap in use after a full GC with
 * the store open and looked up once less the heap in use before it; and the same of the memory
 * outside the heap (direct buffers, and mapped files counted whole), where the index keeps its
 * slots. A child starts with the initial heap a JVM here starts with, and keeps it through
 * those GCs. Last, for comparison, a child fills a new store of the same size itself, with
 * compaction on as a server runs it, and reports the heap it holds then: a server that grew its
 * sessions without restarting keeps them all on the heap.
 */
final class OpenMeasure {

  private static final int[] SIZES = {100_000, 1_000_000};
  private static final int OPENS = 3;
  /** Sessions saved after the compaction, for the open that replays them. */
  private static final int TAIL = 1_000;
  /** The part of the sessions used after the compaction, for the open that replays the uses. */
  private static final int USED_PART = 10;

  private OpenMeasure() {}

  static void run(PrintStream out) throws IOException, InterruptedException {
    out.println();
    out.println("# Open: cold open in a fresh JVM, median of " + OPENS + " (each run listed)");
    out.println("| live tokens | files | open ms | heap bytes / live token"
        + " | off-heap bytes / live token | disk bytes / live token | runs (ms) |");
    out.println("|---|---|---|---|---|---|---|");
    for (int size : SIZES) {
      Path dir = Fixtures.tempDirectory("open");
      try {
        long fillStart = System.nanoTime();
        try (FileTokenStore store = FileTokenStore.builder().directory(dir)
            .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).build()) {
          Fixtures.saveRecords(store, size, new SecureRandom());
        }
        double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
        System.err.printf(Locale.ROOT, "filled %d records in %.1f s%n", size, fillSeconds);
        report(out, dir, size, "log only, no compaction");
        try (FileTokenStore store = FileTokenStore.builder().directory(dir)
            .compactionThreshold(Long.MAX_VALUE).build()) {
          store.compact();
        }
        report(out, dir, size, "after compact()");
        // As a server restarts: sessions saved since the last compaction are in the log's tail,
        // here a thousand of users not seen before.
        try (FileTokenStore store = FileTokenStore.builder().directory(dir)
            .compactionThreshold(Long.MAX_VALUE).build()) {
          Fixtures.saveRecords(store, size, TAIL, new SecureRandom());
        }
        report(out, dir, size + TAIL, "after compact(), then " + TAIL + " saved");
        // Its log holds uses too: one for each session used since the last compaction, a tenth
        // of them here, of users picked at random.
        try (FileTokenStore store = FileTokenStore.builder().directory(dir)
            .compactionThreshold(Long.MAX_VALUE).build()) {
          store.compact();
          Fixtures.useSessions(store, size, size / USED_PART, new Random(size));
        }
        report(out, dir, size + TAIL, "after compact(), then " + size / USED_PART + " used");
      } finally {
        Fixtures.delete(dir);
      }
      reportGrown(out, size);
    }
  }

  /** The heap of a store a child JVM filled itself, median of {@link #OPENS} children. */
  private static void reportGrown(PrintStream out, int size)
      throws IOException, InterruptedException {
    long[] heap = new long[OPENS];
    long[] offHeap = new long[OPENS];
    long disk = 0;
    for (int i = 0; i < OPENS; i++) {
      System.gc();
      Path dir = Fixtures.tempDirectory("grown");
      try {
        long[] measured = child("grow-child", dir, size, List.of());
        heap[i] = measured[1];
        offHeap[i] = measured[2];
        disk = Fixtures.sizeOnDisk(dir);
      } finally {
        Fixtures.delete(dir);
      }
    }
    out.printf(Locale.ROOT, "| %,d | grown in the JVM, never reopened | — | %d | %d | %.1f | heap"
        + " %s |%n", size, median(heap) / size, median(offHeap) / size,
        (double) disk / size, Arrays.toString(heap));
    out.flush();
  }

  private static void report(PrintStream out, Path dir, int size, String files)
      throws IOException, InterruptedException {
    long[] millis = new long[OPENS];
    long[] heap = new long[OPENS];
    long[] offHeap = new long[OPENS];
    for (int i = 0; i < OPENS; i++) {
      // This JVM filled and compacted the store: its collector must not still be at work on
      // the two cores while a child opens.
      System.gc();
      long[] measured = child("open-child", dir, size, List.of());
      millis[i] = measured[0];
      heap[i] = measured[1];
      offHeap[i] = measured[2];
    }
    out.printf(Locale.ROOT, "| %,d | %s | %d | %d | %d | %.1f | %s |%n", size, files,
        median(millis), median(heap) / size, median(offHeap) / size,
        (double) Fixtures.sizeOnDisk(dir) / size, Arrays.toString(millis));
    out.flush();
  }

  /**
   * Runs {@code mode} ({@link #measureChild}, {@link #growChild} or {@link #reopenChild}) in a
   * fresh JVM started with {@code jvmFlags} besides the initial heap; returns the numbers it
   * printed (millis, heap and off-heap bytes; or the millis of each open).
   */
  static long[] child(String mode, Path dir, int size, List<String> jvmFlags)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    // The full GCs the child takes for its heap baseline would shrink its heap to a few MB, and
    // the open would then run young collections a starting server does not: -Xms keeps the
    // heap a JVM on this machine starts with (this JVM's initial size, unless set).
    long initialHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit();
    List<String> command = new ArrayList<>(List.of(java, "-Xms" + initialHeap));
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        BenchMain.class.getName(), mode, dir.toString(), Integer.toString(size)));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String line;
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      line = reader.readLine();
      // Read to the end: a JVM that writes a class-data archive as it exits prints to it then.
      while (reader.readLine() != null) {
        // not measured
      }
    }
    if (process.waitFor() != 0 || line == null) {
      throw new IllegalStateException("open child failed on " + dir);
    }
    return Arrays.stream(line.trim().split(" ")).mapToLong(Long::parseLong).toArray();
  }

  /** A store a child measures, made by {@link #measureChild} or {@link #growChild}. */
  private interface StoreMaker {
    FileTokenStore make();
  }

  /** In the child JVM: opens once, prints {@code millis heapBytes offHeapBytes}. */
  static void measureChild(Path dir, int expected) {
    measure(() -> FileTokenStore.builder().directory(dir)
        .compactionThreshold(Long.MAX_VALUE).build(), expected);
  }

  /**
   * In the child JVM: opens the store in {@code dir} {@code times} times in a row, closing it
   * between; prints each open's millis. The later opens run code this JVM has loaded and
   * compiled: what is left is the open's own work.
   */
  static void reopenChild(Path dir, int times) {
    StringBuilder millis = new StringBuilder();
    for (int i = 0; i < times; i++) {
      long start = System.nanoTime();
      FileTokenStore store = FileTokenStore.builder().directory(dir)
          .compactionThreshold(Long.MAX_VALUE).build();
      millis.append(i == 0 ? "" : " ").append((System.nanoTime() - start) / 1_000_000);
      store.close();
    }
    System.out.println(millis);
  }

  /**
   * In the child JVM: fills a new store in {@code dir} with {@code size} records, compaction at
   * its default threshold, then compacts once more (which waits for a background compaction,
   * whose buffers are not what the store keeps); prints {@code millis heapBytes offHeapBytes}.
   */
  static void growChild(Path dir, int size) {
    measure(() -> {
      FileTokenStore store = FileTokenStore.builder().directory(dir)
          .durability(Durability.NONE).build();
      Fixtures.saveRecords(store, size, new SecureRandom());
      store.compact();
      return store;
    }, size);
  }

  /**
   * Prints how long {@code maker} took, and the heap and off-heap memory the store it made holds
   * once it has served a lookup: the first lookup makes what lookups keep (the marks beside a
   * snapshot's digest table). The store must hold {@code expected} live tokens; counting them
   * reads every slot, so it is not timed.
   */
  private static void measure(StoreMaker maker, int expected) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long before = usedAfterGc(memory);
    long offHeapBefore = offHeap();
    long start = System.nanoTime();
    try (FileTokenStore store = maker.make()) {
      long millis = (System.nanoTime() - start) / 1_000_000;
      int live = store.liveCount();
      if (live != expected) {
        throw new IllegalStateException("expected " + expected + " live tokens, found " + live);
      }
      store.find(TokenHash.sha256("tk_not-a-token-of-this-store"));
      long after = usedAfterGc(memory);
      System.out.println(millis + " " + (after - before) + " " + (offHeap() - offHeapBefore));
    }
  }

  /** The middle of {@code values}, the upper of the two middle ones for an even count. */
  static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** Direct buffers and mapped files in use, mapped ones counted whole. */
  private static long offHeap() {
    long used = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      used += pool.getMemoryUsed();
    }
    return used;
  }

  private static long usedAfterGc(MemoryMXBean memory) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
