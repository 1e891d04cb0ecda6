package dev.tokenkeeper.store.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Every file operation the store makes that can fail or must be durable, behind one narrow seam so
 * that a test can fail any of them (a full disk, an fsync error, a crash between two steps).
 * Reading directory listings and the lock file go around it: they change nothing.
 */
interface Disk {

  /** The real file system. */
  static Disk system() {
    return SystemDisk.INSTANCE;
  }

  /** Creates a new, empty file readable and writable by its owner only; fails if it exists. */
  File create(Path file) throws IOException;

  /** Opens an existing file to read and append. */
  File open(Path file) throws IOException;

  /** Renames {@code from} to {@code to} atomically, replacing {@code to}. */
  void rename(Path from, Path to) throws IOException;

  /** Forces the directory entry changes (creates, renames, deletes) of {@code dir} to disk. */
  void forceDirectory(Path dir) throws IOException;

  /** Deletes {@code file} if it exists. */
  void delete(Path file) throws IOException;

  /**
   * One open file. Not thread-safe: the store serialises appends and guards force. Callers'
   * threads append to and force the log, so an interrupt of the thread must not close the file
   * (as it closes a {@code FileChannel}, an {@code InterruptibleChannel}, for every user).
   */
  interface File extends Closeable {

    /** Reads into {@code dst} from {@code position}; returns the count or -1 at the end. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes all of {@code src} at the end of the file. */
    void append(ByteBuffer src) throws IOException;

    /** Forces written data, and the file's size, to stable storage. */
    void force() throws IOException;

    /** The file's size in bytes. */
    long size() throws IOException;

    /**
     * {@code length} bytes from {@code position}, to read and change without changing the file:
     * mapped copy-on-write where the file system allows, else copied.
     *
     * @throws java.io.EOFException if the file ends first
     */
    default ByteBuffer map(long position, int length) throws IOException {
      return copy(position, length);
    }

    /**
     * {@code length} bytes from {@code position}, copied into an array.
     *
     * @throws java.io.EOFException if the file ends first
     */
    default ByteBuffer copy(long position, int length) throws IOException {
      ByteBuffer copy = ByteBuffer.allocate(length);
      while (copy.hasRemaining()) {
        if (read(copy, position + copy.position()) < 0) {
          throw new java.io.EOFException("file ends before " + (position + length));
        }
      }
      return copy.clear();
    }

    /** Cuts the file to {@code size} bytes; later appends go there. */
    void truncate(long size) throws IOException;
  }
}
