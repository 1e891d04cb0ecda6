package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads the frames of one file in order and says where and why reading stopped. It decides
 * nothing: whether a stop is a torn tail or damage is the caller's call, helped by
 * {@link #markAfter} (format 3) and {@link #isTornTail} (earlier formats). Mark records
 * ({@link LogEntry.Mark}) are taken in here, not handed on: they say how far the file was durable,
 * not what changed.
 */
final class FrameReader {

  /** A damaged region longer than this cannot be an interrupted append. */
  static final int MAX_TORN_TAIL = 1 << 20;

  private static final int WINDOW = 1 << 20;

  /** Where reading stopped. */
  static final class Outcome {
    /** The end of the last good frame. */
    long end;
    /** Entries read. */
    long entries;
    /** Offset of the first bad byte, or -1 if the file was read to its end. */
    long damageAt = -1;
    String damage;
    /** Whether the bad frame had a valid checksum: then it cannot be an interrupted write. */
    boolean checksummed;
    /** The file's format version from its magic: 1 or 2 (earlier releases) or 3. */
    int version;
    /** The highest durable offset an intact mark before the stop states, or 0. */
    long markedDurable;
    /** Whether the last frame read is a clean close's mark: every byte before it was forced. */
    boolean closed;

    boolean isClean() {
      return damageAt < 0;
    }

    private Outcome stop(long at, String why, boolean checksumOk) {
      damageAt = at;
      damage = why;
      checksummed = checksumOk;
      return this;
    }
  }

  private final Disk.File file;
  private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
  private long windowStart;

  private FrameReader(Disk.File file) {
    this.file = file;
    window.limit(0);
  }

  /**
   * Reads every frame of {@code file}, handing each decoded entry to {@code sink}. The file's magic
   * must be {@code magic} (the current format) or its format 1 form. An image's sections are
   * {@linkplain Disk.File#map mapped} if {@code mapImages}, else copied onto the heap: a mapping
   * keeps a deleted file's disk space until the collector finds the mapping unreachable, so only
   * the indexes a store serves map: its open's, and each compaction's read back from its new
   * snapshot.
   */
  static Outcome read(Disk.File file, byte[] magic, Map<String, String> strings,
      boolean mapImages, Consumer<LogEntry> sink) throws IOException {
    return new FrameReader(file).readAll(magic, strings, mapImages, sink);
  }

  private Outcome readAll(byte[] magic, Map<String, String> strings, boolean mapImages,
      Consumer<LogEntry> sink) throws IOException {
    Outcome outcome = new Outcome();
    long size = file.size();
    if (size < Frames.HEADER || !fill(0, Frames.HEADER)) {
      return outcome.stop(0, "file is shorter than its header", false);
    }
    byte[] header = new byte[Frames.HEADER];
    window.get(header);
    outcome.version = Frames.version(header, magic);
    if (outcome.version < 0) {
      return outcome.stop(0, "unexpected file header", false);
    }
    long pos = Frames.HEADER;
    outcome.end = pos;
    while (pos < size) {
      if (size - pos < Frames.HEADER || !fill(pos, Frames.HEADER)) {
        return outcome.stop(pos, "incomplete frame header", false);
      }
      int length = window.getInt();
      int crc = window.getInt();
      if (length < 1 || length > Frames.MAX_BODY) {
        return outcome.stop(pos, "impossible frame length " + length, false);
      }
      if (pos + Frames.HEADER + length > size || !fill(pos + Frames.HEADER, length)) {
        return outcome.stop(pos, "frame runs past the end of the file", false);
      }
      int at = window.position();
      if (Frames.checksum(window.array(), at, length) != crc) {
        return outcome.stop(pos, "checksum mismatch", false);
      }
      LogEntry entry;
      try {
        entry = Frames.decode(window.slice(at, length), outcome.version, strings);
      } catch (RuntimeException e) {
        return outcome.stop(pos, "undecodable entry: " + e.getMessage(), true);
      }
      window.position(at + length);
      long next = pos + Frames.HEADER + length;
      if (entry instanceof LogEntry.Image image) {
        // Its raw sections follow the record: read through the entry, then stepped over.
        long raw = image.header().rawBytes();
        if (raw > size - next) {
          return outcome.stop(pos, "an image runs past the end of the file", true);
        }
        entry = new LogEntry.Image(image.header(), new Sections(file, next, raw, mapImages));
        next += raw;
      }
      if (entry instanceof LogEntry.Mark mark) {
        if (mark.durable() > pos) {
          // A genuine mark states only what was durable before it was written.
          return outcome.stop(pos, "a mark states bytes after it durable", true);
        }
        outcome.markedDurable = Math.max(outcome.markedDurable, mark.durable());
        outcome.closed = mark.closed() && mark.durable() == pos;
      } else {
        outcome.closed = false;
        try {
          sink.accept(entry);
        } catch (UncheckedIOException e) {
          throw e.getCause(); // reading an image's sections failed
        }
        outcome.entries++;
      }
      pos = next;
      outcome.end = pos;
    }
    return outcome;
  }

  /** Makes {@code need} bytes from {@code pos} available at the window's position. */
  private boolean fill(long pos, int need) throws IOException {
    long windowEnd = windowStart + window.limit();
    if (pos < windowStart || pos + need > windowEnd) {
      window.clear();
      windowStart = pos;
      while (window.hasRemaining()) {
        if (file.read(window, windowStart + window.position()) < 0) {
          break;
        }
      }
      window.flip();
      if (window.limit() < need) {
        return false;
      }
    }
    window.position((int) (pos - windowStart));
    return true;
  }

  /**
   * The highest durable offset that an intact mark record after {@code from} states of a format
   * 3 {@code file}, or -1 if none does: found by trying every offset, and past every intact frame
   * found, so a frame forged inside a string of a real one is never seen. A mark counts only if it
   * states bytes before itself durable, as a real one does. If it states more than {@code from},
   * an fsync covered the bad bytes at {@code from}: they are damage, not an interrupted write.
   */
  static long markAfter(Disk.File file, long from) throws IOException {
    FrameReader reader = new FrameReader(file);
    long size = file.size();
    long marked = -1;
    long pos = from + 1;
    while (pos + Frames.HEADER <= size) {
      if (!reader.fill(pos, Frames.HEADER)) {
        break;
      }
      int length = reader.window.getInt();
      int crc = reader.window.getInt();
      if (length >= 1 && length <= Frames.MAX_BODY && pos + Frames.HEADER + length <= size
          && reader.fill(pos + Frames.HEADER, length)) {
        int at = reader.window.position();
        if (Frames.checksum(reader.window.array(), at, length) == crc) {
          try {
            LogEntry entry =
                Frames.decode(reader.window.slice(at, length), Frames.VERSION, null);
            if (entry instanceof LogEntry.Mark mark && mark.durable() <= pos) {
              marked = Math.max(marked, mark.durable());
            }
            pos += Frames.HEADER + length;
            continue;
          } catch (IllegalArgumentException matchedByChance) {
            // not a frame after all: keep searching
          }
        }
      }
      pos++;
    }
    return marked;
  }

  /**
   * Whether the bytes of {@code file} from {@code from} to its end look like an append cut short
   * (a partial frame, zeros or garbage) rather than damage: they are all zeros, or they are short
   * and no valid frame starts anywhere inside them. A valid frame after a bad one means records
   * after the damage were acknowledged, so skipping it would lose data silently.
   */
  static boolean isTornTail(Disk.File file, long from) throws IOException {
    long length = file.size() - from;
    if (length <= 0) {
      return true;
    }
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(length, WINDOW));
    if (length > MAX_TORN_TAIL) {
      for (long pos = from; pos < from + length; pos += chunk.limit()) {
        chunk.clear();
        if (file.read(chunk, pos) <= 0 || !isZeros(chunk.array(), chunk.position())) {
          return false;
        }
        chunk.flip();
      }
      return true;
    }
    while (chunk.hasRemaining() && file.read(chunk, from + chunk.position()) >= 0) {
      // read the whole tail
    }
    byte[] tail = chunk.array();
    int n = chunk.position();
    ByteBuffer view = ByteBuffer.wrap(tail, 0, n);
    for (int p = 1; p + Frames.HEADER < n; p++) {
      int frameLength = view.getInt(p);
      if (frameLength >= 1 && frameLength <= Frames.MAX_BODY
          && p + Frames.HEADER + frameLength <= n
          && Frames.checksum(tail, p + Frames.HEADER, frameLength) == view.getInt(p + 4)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isZeros(byte[] bytes, int length) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * An image's raw sections, {@code raw} bytes from {@code start} on in {@code file}: mapped, or
   * copied. A class, not a lambda: see {@link OpenPreloader}.
   */
  private static final class Sections implements IndexImage.Source {
    private final Disk.File file;
    private final long start;
    private final long raw;
    private final boolean mapped;

    Sections(Disk.File file, long start, long raw, boolean mapped) {
      this.file = file;
      this.start = start;
      this.raw = raw;
      this.mapped = mapped;
    }

    @Override
    public ByteBuffer map(long offset, int bytes) throws IOException {
      if (offset < 0 || bytes < 0 || offset + bytes > raw) {
        throw new IllegalArgumentException("outside the image");
      }
      return mapped ? file.map(start + offset, bytes) : file.copy(start + offset, bytes);
    }
  }
}
