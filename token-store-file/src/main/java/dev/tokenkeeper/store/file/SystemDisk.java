package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** {@link Disk} on the real file system through {@link FileChannel}. */
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
    Set<StandardOpenOption> options = EnumSet.of(
        StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new ChannelFile(
        FileChannel.open(file, options, ownerOnlyFile(file.getFileSystem())), 0);
  }

  @Override
  public Disk.File open(Path file) throws IOException {
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new ChannelFile(channel, channel.size());
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  @Override
  public void delete(Path file) throws IOException {
    Files.deleteIfExists(file);
  }

  private static final class ChannelFile implements Disk.File {
    private final FileChannel channel;
    private long end;

    ChannelFile(FileChannel channel, long end) {
      this.channel = channel;
      this.end = end;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return channel.read(dst, position);
    }

    @Override
    public void append(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        end += channel.write(src, end);
      }
    }

    @Override
    public void force() throws IOException {
      channel.force(false);
    }

    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      channel.truncate(size);
      end = size;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
