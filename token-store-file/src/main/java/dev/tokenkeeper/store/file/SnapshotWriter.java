package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes {@code snapshot-N} of a store state atomically: into a temporary file, forced, renamed
 * over, and the directory forced, so a crash at any step leaves either no snapshot N or a
 * complete one. Plain sessions go first, as an image of the live index's memory
 * ({@link IndexImage}), which open maps straight back; every other session is one frame followed
 * by one frame per token of it, so no session nears the frame size limit however many tombstones
 * it keeps; the legacy imports follow, then an end record with the count. Frames are buffered into large appends. Used by compaction and by
 * recovery; not thread-safe.
 */
final class SnapshotWriter {

  private final Disk.File file;
  private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
  private long count;

  private SnapshotWriter(Disk.File file) {
    this.file = file;
    buffer.put(Frames.SNAPSHOT_MAGIC);
  }

  /** Writes {@code state} as snapshot {@code generation} of {@code files}, durably. */
  static void write(StoreDirectory files, long generation, StoreState state) throws IOException {
    Path target = files.snapshot(generation);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Disk disk = files.disk();
    disk.delete(tmp);
    try (Disk.File file = disk.create(tmp)) {
      SnapshotWriter writer = new SnapshotWriter(file);
      try {
        // Tight tables in the image, so that the open reading it has nothing to rebuild.
        state.live.trim();
        state.live.snapshot(writer::addImage, session -> {
          writer.add(new LogEntry.SessionState(session));
          for (TokenRecord token : state.live.tokensOf(session.id())) {
            writer.add(new LogEntry.TokenState(token));
          }
        });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      for (LogEntry.Imported imported : state.imports.values()) {
        writer.add(imported);
      }
      writer.finish();
      StoreDirectory.force(file, tmp);
    }
    disk.rename(tmp, target);
    files.forceDirectory();
  }

  private void add(LogEntry entry) {
    ByteBuffer frame = Frames.encode(entry);
    try {
      if (buffer.remaining() < frame.remaining()) {
        file.append(buffer.flip());
        buffer.clear();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    buffer.put(frame);
    count++;
  }

  /** Adds the image's record, then its sections, raw. */
  private void addImage(IndexImage.Writer image) throws IOException {
    add(new LogEntry.Image(image.header(), null));
    file.append(buffer.flip());
    buffer.clear();
    image.writeTo(file::append);
  }

  private void finish() throws IOException {
    add(new LogEntry.End(count));
    file.append(buffer.flip());
  }
}
