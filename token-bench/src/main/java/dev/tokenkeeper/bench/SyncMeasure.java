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
 * wall-clock time on the same disk: each round measures the floor (one thread appending a
 * 120-byte record to a file and forcing it, per record: what {@code SYNC} would cost without
 * group commit), then {@code TokenService.issue} on a {@code SYNC} store of 1,000 live tokens from
 * 1, 4 and 16 threads. A virtual disk's fsync time drifts by half within seconds, so the sides
 * alternate in slices of one second each, and a round's figure for a side is its records over its
 * time summed across the round's slices. The store's {@link FileStoreStats} over the 16-thread
 * slices give the records made durable per fsync and the mean fsync time. Prints one Markdown row
 * per round and the medians.
 */
final class SyncMeasure {

  private static final int RECORD = 120;
  private static final int[] THREADS = {1, 4, 16};
  private static final Duration SLICE = Duration.ofSeconds(1);

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
      out.printf("# SYNC group commit: issues/s by threads vs one fsync per record "
          + "(%d s each, in slices of %d s)%n", each.toSeconds(), SLICE.toSeconds());
      out.println("| round | floor records/s | 1 thread | 4 threads | 16 threads "
          + "| records per fsync at 16 | mean fsync µs at 16 | 16 threads / floor |");
      out.println("|---|---|---|---|---|---|---|---|");
      double[][] columns = new double[6][rounds];
      long slices = Math.max(1, each.toMillis() / SLICE.toMillis());
      for (int round = 0; round < rounds; round++) {
        Run floor = Run.NONE;
        Run[] runs = {Run.NONE, Run.NONE, Run.NONE};
        for (long slice = 0; slice < slices; slice++) {
          floor = floor.plus(floor(floorDir, SLICE));
          for (int i = 0; i < THREADS.length; i++) {
            runs[i] = runs[i].plus(issue(filled, THREADS[i], SLICE));
          }
        }
        Run sixteen = runs[THREADS.length - 1];
        double[] row = {floor.perSecond(), runs[0].perSecond(), runs[1].perSecond(),
            sixteen.perSecond(), sixteen.recordsPerFsync(), sixteen.meanFsyncMicros()};
        for (int c = 0; c < row.length; c++) {
          columns[c][round] = row[c];
        }
        out.printf(Locale.ROOT, "| %d | %,.0f | %,.0f | %,.0f | %,.0f | %.1f | %.0f | %.2f |%n",
            round + 1, row[0], row[1], row[2], row[3], row[4], row[5], row[3] / row[0]);
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

  /** Records over a side's time, and the fsyncs that made them durable (store sides only). */
  private record Run(long records, long nanos, long fsyncs, long synced, long fsyncNanos) {
    static final Run NONE = new Run(0, 0, 0, 0, 0);

    Run plus(Run other) {
      return new Run(records + other.records, nanos + other.nanos, fsyncs + other.fsyncs,
          synced + other.synced, fsyncNanos + other.fsyncNanos);
    }

    double perSecond() {
      return records / (nanos / 1e9);
    }

    double recordsPerFsync() {
      return synced / (double) Math.max(1, fsyncs);
    }

    double meanFsyncMicros() {
      return fsyncNanos / 1e3 / Math.max(1, fsyncs);
    }
  }

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
    long nanos = System.nanoTime() - started;
    FileStoreStats after = filled.store().stats();
    return new Run(issued.sum(), nanos, after.fsyncs() - before.fsyncs(),
        after.recordsSynced() - before.recordsSynced(),
        after.fsyncNanosTotal() - before.fsyncNanosTotal());
  }

  /** One 120-byte append and one force per record, from one thread. */
  private static Run floor(Path dir, Duration time) {
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
      return new Run(records, System.nanoTime() - started, 0, 0, 0);
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
