package dev.tokenkeeper.bench;

import dev.tokenkeeper.store.file.Durability;
import dev.tokenkeeper.store.file.FileStoreStats;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Group commit under load, a load generator rather than JMH so that every side runs for the same
 * wall-clock time on the same disk, alternating: each round measures the floor (one thread
 * appending a 120-byte record to a file and forcing it, per record: what {@code SYNC} would cost
 * without group commit), then {@code TokenService.issue} on a {@code SYNC} store of 1,000 live
 * tokens from 1, 4 and 16 threads. The store's {@link FileStoreStats} over each run give the
 * records made durable per fsync and the mean fsync time. Prints one Markdown row per round and
 * the medians.
 */
final class SyncMeasure {

  private static final int RECORD = 120;
  private static final int[] THREADS = {1, 4, 16};

  private SyncMeasure() {}

  static void run(PrintStream out, int rounds, Duration each) throws Exception {
    Fixtures.Filled filled = Fixtures.filled("sync", 1_000, Durability.SYNC);
    Path floorDir = Fixtures.tempDirectory("sync-floor");
    try {
      // Warm-up: the JIT and the file system's first allocations, not measured.
      floor(floorDir, Duration.ofSeconds(2));
      for (int threads : THREADS) {
        issue(filled, threads, Duration.ofSeconds(2));
      }
      out.println();
      out.printf("# SYNC group commit: issues/s by threads vs one fsync per record (%d s each)%n",
          each.toSeconds());
      out.println("| round | floor records/s | 1 thread | 4 threads | 16 threads "
          + "| records per fsync at 16 | mean fsync µs at 16 | 16 threads / floor |");
      out.println("|---|---|---|---|---|---|---|---|");
      double[][] columns = new double[6][rounds];
      for (int round = 0; round < rounds; round++) {
        double floor = floor(floorDir, each);
        Run[] runs = new Run[THREADS.length];
        for (int i = 0; i < THREADS.length; i++) {
          runs[i] = issue(filled, THREADS[i], each);
        }
        Run sixteen = runs[THREADS.length - 1];
        double[] row = {floor, runs[0].perSecond, runs[1].perSecond, sixteen.perSecond,
            sixteen.recordsPerFsync, sixteen.meanFsyncMicros};
        for (int c = 0; c < row.length; c++) {
          columns[c][round] = row[c];
        }
        out.printf(Locale.ROOT, "| %d | %,.0f | %,.0f | %,.0f | %,.0f | %.1f | %.0f | %.2f |%n",
            round + 1, floor, runs[0].perSecond, runs[1].perSecond, sixteen.perSecond,
            sixteen.recordsPerFsync, sixteen.meanFsyncMicros, sixteen.perSecond / floor);
      }
      double[] median = new double[columns.length];
      for (int c = 0; c < columns.length; c++) {
        median[c] = median(columns[c]);
      }
      out.printf(Locale.ROOT, "| median | %,.0f | %,.0f | %,.0f | %,.0f | %.1f | %.0f | %.2f |%n",
          median[0], median[1], median[2], median[3], median[4], median[5],
          median[3] / median[0]);
      out.flush();
    } finally {
      filled.close();
      Fixtures.delete(floorDir);
    }
  }

  /** Issues/s over a run, and the fsyncs it took, from the store's figures. */
  private record Run(double perSecond, double recordsPerFsync, double meanFsyncMicros) {}

  private static Run issue(Fixtures.Filled filled, int threads, Duration time) throws Exception {
    FileStoreStats before = filled.store().stats();
    LongAdder issued = new LongAdder();
    AtomicLong logins = new AtomicLong();
    long end = System.nanoTime() + time.toNanos();
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        while (System.nanoTime() < end) {
          filled.tokens().issue(Fixtures.subject(logins.getAndIncrement() & 0xFFFF),
              Fixtures.LABEL);
          issued.increment();
        }
      });
      running.add(thread);
      thread.start();
    }
    long started = System.nanoTime();
    for (Thread thread : running) {
      thread.join();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    FileStoreStats after = filled.store().stats();
    long fsyncs = Math.max(1, after.fsyncs() - before.fsyncs());
    return new Run(issued.sum() / seconds,
        (after.recordsSynced() - before.recordsSynced()) / (double) fsyncs,
        (after.fsyncNanosTotal() - before.fsyncNanosTotal()) / 1e3 / fsyncs);
  }

  /** Records/s with one 120-byte append and one force per record, from one thread. */
  private static double floor(Path dir, Duration time) {
    Path file = dir.resolve("floor.log");
    ByteBuffer record = ByteBuffer.allocateDirect(RECORD);
    while (record.hasRemaining()) {
      record.put((byte) 'r');
    }
    try (FileChannel log = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      long records = 0;
      long started = System.nanoTime();
      long end = started + time.toNanos();
      while (System.nanoTime() < end) {
        record.rewind();
        while (record.hasRemaining()) {
          log.write(record);
        }
        log.force(false);
        records++;
      }
      return records / ((System.nanoTime() - started) / 1e9);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
