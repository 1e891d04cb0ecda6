package dev.tokenkeeper.store.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * The log being appended to: generation N's file, written a batch at a time, one write per batch.
 * A batch is led by a mark ({@link LogEntry.Mark}) when the file became more durable since the
 * last mark, so the file itself says how far an fsync covered it when each batch was written; a
 * clean close ends it with a closing mark. Opening reads those to tell a hole no fsync covered
 * (an interrupted write: nothing in it or after it was acknowledged) from damage to bytes one
 * did.
 *
 * <p>Not thread-safe: only the group commit's leader, or the holder of the group commit, uses it;
 * only the group commit forces it ({@link GroupCommit} is who may say durable).
 */
final class LogWriter implements Closeable {

  private final Path path;
  private final long generation;
  private final Disk.File file;
  /** Bytes in the file. */
  private long size;
  /** Bytes of the file known to be on stable storage. */
  private long durable;
  /** The highest durable offset a mark in the file states. */
  private long marked;
  private ByteBuffer gather = ByteBuffer.allocate(64 << 10);

  private LogWriter(Path path, long generation, Disk.File file, long size, long durable) {
    this.path = path;
    this.generation = generation;
    this.file = file;
    this.size = size;
    this.durable = durable;
    this.marked = durable;
  }

  /** Creates log {@code generation} with its header, forced and linked into the directory. */
  static LogWriter create(StoreDirectory files, long generation) throws IOException {
    Path path = files.log(generation);
    Disk.File file = files.createLog(generation);
    try {
      StoreDirectory.force(file, path);
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
    return new LogWriter(path, generation, file, Frames.HEADER, Frames.HEADER);
  }

  /**
   * Opens log {@code generation}, which a clean close ended at {@code end} (so all of it is
   * durable), to append after it.
   */
  static LogWriter reopen(StoreDirectory files, long generation, long end) throws IOException {
    Path path = files.log(generation);
    Disk.File file = files.disk().open(path);
    try {
      if (file.size() != end) {
        throw new IOException(path + " changed while it was opened");
      }
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
    return new LogWriter(path, generation, file, end, end);
  }

  long generation() {
    return generation;
  }

  Path path() {
    return path;
  }

  /** The file's size in bytes. */
  long size() {
    return size;
  }

  /** Appends {@code frames} in one write, led by a mark if the file became more durable. */
  void write(List<ByteBuffer> frames) throws IOException {
    long mark = durable;
    int bytes = mark > marked ? Frames.MARK_FRAME : 0;
    for (ByteBuffer frame : frames) {
      bytes += frame.remaining();
    }
    if (gather.capacity() < bytes) {
      gather = ByteBuffer.allocate(Math.max(bytes, gather.capacity() * 2));
    }
    gather.clear();
    if (mark > marked) {
      gather.put(Frames.encode(new LogEntry.Mark(mark, false)));
    }
    for (ByteBuffer frame : frames) {
      gather.put(frame.duplicate());
    }
    file.append(gather.flip());
    size += bytes;
    marked = Math.max(marked, mark);
  }

  /** Forces the file: all written so far is on stable storage once this returns. */
  void force() throws IOException {
    StoreDirectory.force(file, path);
    durable = size;
  }

  /**
   * Ends the file with a closing mark and forces it: the file was closed cleanly, and every byte
   * before the mark is durable. Only after a force of everything written.
   */
  void seal() throws IOException {
    if (durable != size) {
      throw new IllegalStateException("sealing " + path + " with unforced bytes");
    }
    ByteBuffer mark = Frames.encode(new LogEntry.Mark(size, true));
    int bytes = mark.remaining();
    file.append(mark);
    size += bytes;
    force();
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
