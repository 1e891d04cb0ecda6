package dev.tokenkeeper.store.file;

/**
 * Figures of one {@link FileTokenStore} since it was opened, for monitoring: how its group commit
 * does (fsyncs, records made durable per fsync, fsync time), how many uses wait in memory to be
 * written, its compactions and the size of its log. Taken by {@link FileTokenStore#stats()}.
 *
 * <pre>{@code
 * FileStoreStats stats = store.stats();
 * log.info("{} records per fsync, longest fsync {} ms", stats.recordsPerFsync(),
 *     stats.fsyncNanosMax() / 1_000_000);
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param fsyncs fsyncs of the log since the store was opened
 * @param recordsSynced records those fsyncs made durable; {@link #recordsPerFsync()} divides
 * @param fsyncNanosTotal time spent in those fsyncs, in nanoseconds
 * @param fsyncNanosMax the longest of them, in nanoseconds
 * @param touchBacklog sessions whose last use is held in memory, not yet handed to the log
 * @param compactions compactions completed since the store was opened
 * @param compactionNanosTotal time those compactions took, in nanoseconds
 * @param logBytes the size of the current log in bytes, as of its last write
 */
public record FileStoreStats(long fsyncs, long recordsSynced, long fsyncNanosTotal,
    long fsyncNanosMax, long touchBacklog, long compactions, long compactionNanosTotal,
    long logBytes) {

  /**
   * Validates every figure.
   *
   * @throws IllegalArgumentException if a figure is negative, or the longest fsync exceeds their
   *     total
   */
  public FileStoreStats {
    requireNonNegative("fsyncs", fsyncs);
    requireNonNegative("recordsSynced", recordsSynced);
    requireNonNegative("fsyncNanosTotal", fsyncNanosTotal);
    requireNonNegative("fsyncNanosMax", fsyncNanosMax);
    requireNonNegative("touchBacklog", touchBacklog);
    requireNonNegative("compactions", compactions);
    requireNonNegative("compactionNanosTotal", compactionNanosTotal);
    requireNonNegative("logBytes", logBytes);
    if (fsyncNanosMax > fsyncNanosTotal) {
      throw new IllegalArgumentException("fsyncNanosMax exceeds fsyncNanosTotal: "
          + fsyncNanosMax + " > " + fsyncNanosTotal);
    }
  }

  /** Records made durable per fsync on average: how well writers share fsyncs; 0 before any. */
  public double recordsPerFsync() {
    return fsyncs == 0 ? 0 : (double) recordsSynced / fsyncs;
  }

  private static void requireNonNegative(String name, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
  }
}
