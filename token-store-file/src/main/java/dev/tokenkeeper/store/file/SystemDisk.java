package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@link Disk} on the real file system. Files are read, written and forced through
 * {@link RandomAccessFile}, never a {@link FileChannel}: a {@code FileChannel} is an
 * {@code InterruptibleChannel}, which an interrupt reaching any thread inside one of its
 * operations closes for every user ({@code ClosedByInterruptException}), and the store's log is
 * written and forced on callers' threads, which anyone may interrupt. Other I/O has no such
 * effect: {@link Thread#interrupt} then only sets the thread's flag. Directories are forced
 * through a channel of their own, opened per call, on the store's own threads only
 * ({@link StoreThreads}). A log thread doing the leaders' file work would be as safe, but its
 * hand-over cost about a quarter of the throughput of 16 writers with fsync out of the way.
 */
final class SystemDisk implements Disk {

  static final SystemDisk INSTANCE = new SystemDisk();

  private SystemDisk() {}

  /** Owner read and write, applied at creation so the file is never briefly open to others. */
  static FileAttribute<?>[] ownerOnlyFile(FileSystem fs) {
    return isPosix(fs)
        ? new FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
  }

  static FileAttribute<?>[] ownerOnlyDirectory(FileSystem fs) {
    return isPosix(fs)
        ? new FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
        : new FileAttribute<?>[0];
  }

  static boolean isPosix(FileSystem fs) {
    return fs.supportedFileAttributeViews().contains("posix");
  }

  @Override
  public Disk.File create(Path file) throws IOException {
    Files.createFile(file, ownerOnlyFile(file.getFileSystem()));
    try {
      return new UninterruptibleFile(new RandomAccessFile(file.toFile(), "rw"), 0,
          isPosix(file.getFileSystem()));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  @Override
  public Disk.File open(Path file) throws IOException {
    // RandomAccessFile would create a missing file; opening must not.
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString());
    }
    RandomAccessFile opened = new RandomAccessFile(file.toFile(), "rw");
    return new UninterruptibleFile(opened, opened.length(), isPosix(file.getFileSystem()));
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Forces through a channel with the thread's interrupt put aside meanwhile, and set again after:
   * the store's own threads join the thread group of whichever thread first needed them, so a
   * {@code ThreadGroup.interrupt()} of request threads reaches them too, and a pending interrupt
   * closes a channel before it forces (a latched failure, with nothing wrong with the disk). One
   * arriving during the fsync still closes it; that is not retried, since the close can hide an
   * error the fsync returned.
   */
  @Override
  public void forceDirectory(Path dir) throws IOException {
    boolean interrupted = Thread.interrupted();
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void delete(Path file) throws IOException {
    Files.deleteIfExists(file);
  }

  /** A file that an interrupt of the thread using it cannot close: see the class comment. */
  private static final class UninterruptibleFile implements Disk.File {
    private final RandomAccessFile file;
    private long end;
    /** Whether a mapped file can still be deleted: not on Windows, which compaction needs. */
    private final boolean mappable;

    UninterruptibleFile(RandomAccessFile file, long end, boolean mappable) {
      this.file = file;
      this.end = end;
      this.mappable = mappable;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      if (!dst.hasRemaining()) {
        return 0;
      }
      file.seek(position);
      int count;
      if (dst.hasArray()) {
        count = file.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        if (count > 0) {
          dst.position(dst.position() + count);
        }
      } else {
        byte[] bytes = new byte[dst.remaining()];
        count = file.read(bytes);
        if (count > 0) {
          dst.put(bytes, 0, count);
        }
      }
      return count;
    }

    @Override
    public void append(ByteBuffer src) throws IOException {
      int count = src.remaining();
      file.seek(end);
      if (src.hasArray()) {
        file.write(src.array(), src.arrayOffset() + src.position(), count);
        src.position(src.limit());
      } else {
        byte[] bytes = new byte[count];
        src.get(bytes);
        file.write(bytes);
      }
      end += count;
    }

    /** fsync(2): unlike {@code FileChannel.force(false)} it also writes the file's times. */
    @Override
    public void force() throws IOException {
      file.getFD().sync();
    }

    @Override
    public long size() throws IOException {
      return file.length();
    }

    /**
     * Maps copy-on-write ({@code MAP_PRIVATE}): the pages come from the file's cache, and a page
     * written is copied first, so the file never changes. Through the file's channel, which an
     * interrupt would close: only the store's own threads map (the open, and a compaction reading
     * back its snapshot). Copied instead where a
     * mapped file cannot be deleted (file systems without POSIX permissions, as on Windows).
     */
    @Override
    public ByteBuffer map(long position, int length) throws IOException {
      if (!mappable) {
        return copy(position, length);
      }
      if (position + length > file.length()) {
        throw new java.io.EOFException("file ends before " + (position + length));
      }
      return file.getChannel().map(FileChannel.MapMode.PRIVATE, position, length);
    }

    @Override
    public void truncate(long size) throws IOException {
      file.setLength(size);
      end = size;
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
