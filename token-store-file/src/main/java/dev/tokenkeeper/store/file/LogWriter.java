package dev.tokenkeeper.store.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * The log being appended to: generation N's file, written a batch at a time, one write per batch.
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
  private ByteBuffer gather = ByteBuffer.allocate(64 << 10);

  private LogWriter(Path path, long generation, Disk.File file, long size, long durable) {
    this.path = path;
    this.generation = generation;
    this.file = file;
    this.size = size;
    this.durable = durable;
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

  /** The log {@code generation} as replay left it open, forced up to its end {@code end}. */
  static LogWriter of(StoreDirectory files, long generation, Disk.File file, long end) {
    return new LogWriter(files.log(generation), generation, file, end, end);
  }

  /** Opens log {@code generation}, whose intact records end at {@code end}, to append. */
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

  /** Appends {@code frames} in one write. */
  void write(List<ByteBuffer> frames) throws IOException {
    int bytes = 0;
    for (ByteBuffer frame : frames) {
      bytes += frame.remaining();
    }
    if (gather.capacity() < bytes) {
      gather = ByteBuffer.allocate(Math.max(bytes, gather.capacity() * 2));
    }
    gather.clear();
    for (ByteBuffer frame : frames) {
      gather.put(frame.duplicate());
    }
    file.append(gather.flip());
    size += bytes;
  }

  /** Forces the file: all written so far is on stable storage once this returns. */
  void force() throws IOException {
    StoreDirectory.force(file, path);
    durable = size;
  }

  /** Ends the file: the file was closed cleanly. Only after a force of everything written. */
  void seal() throws IOException {
    if (durable != size) {
      throw new IllegalStateException("sealing " + path + " with unforced bytes");
    }
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
