package dev.tokenkeeper.store.file;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The records handed to the log since a compaction's rotation, kept in memory until the
 * compaction has read back the snapshot it wrote: that snapshot plus these records, applied in
 * order, is exactly what the store holds, as an open of the directory would rebuild it. Kept
 * rather than read back from the log file, whose newest records may still be on their way to it.
 *
 * <p>Thread-safe: records are added under the store's change lock, in the log's order, and taken
 * by the compaction thread.
 */
final class LogTail {

  /** Null while no compaction follows the log. */
  private List<ByteBuffer> records;

  /** Starts keeping records, dropping any kept before: called right after a rotation. */
  synchronized void start() {
    records = new ArrayList<>();
  }

  /** Stops keeping records and drops those not taken. */
  synchronized void stop() {
    records = null;
  }

  /** Keeps {@code frames}, if following; the caller holds the store's change lock. */
  synchronized void add(List<ByteBuffer> frames) {
    if (records != null) {
      records.addAll(frames);
    }
  }

  /** The records kept since the last take, oldest first; empty if not following. */
  synchronized List<ByteBuffer> take() {
    if (records == null || records.isEmpty()) {
      return List.of();
    }
    List<ByteBuffer> taken = records;
    records = new ArrayList<>();
    return taken;
  }
}
