package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A {@link Disk} over the real one whose next append or force of a log file throws whatever a
 * test arms: an {@link Error} as well as an IOException (an OutOfMemoryError from a buffer
 * allocation or a failed native malloc in RandomAccessFile.write, an InternalError...). Counts
 * log forces.
 */
final class ScriptedDisk implements Disk {

  private final Disk real = Disk.system();
  final AtomicReference<Supplier<Throwable>> nextAppend = new AtomicReference<>();
  final AtomicReference<Supplier<Throwable>> nextForce = new AtomicReference<>();
  final AtomicInteger logForces = new AtomicInteger();
  final AtomicInteger logAppends = new AtomicInteger();

  private static boolean isLog(Path path) {
    return path.getFileName().toString().startsWith("log-");
  }

  private static void raise(Throwable t) throws IOException {
    if (t instanceof IOException e) {
      throw e;
    }
    if (t instanceof RuntimeException e) {
      throw e;
    }
    throw (Error) t;
  }

  @Override
  public File create(Path file) throws IOException {
    return new Scripted(real.create(file), file);
  }

  @Override
  public File open(Path file) throws IOException {
    return new Scripted(real.open(file), file);
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    real.rename(from, to);
  }

  @Override
  public void forceDirectory(Path dir) throws IOException {
    real.forceDirectory(dir);
  }

  @Override
  public void delete(Path file) throws IOException {
    real.delete(file);
  }

  private final class Scripted implements File {
    private final File file;
    private final Path path;
    private boolean headerWritten;

    Scripted(File file, Path path) {
      this.file = file;
      this.path = path;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return file.read(dst, position);
    }

    @Override
    public void append(ByteBuffer src) throws IOException {
      if (isLog(path)) {
        // The log's header (written by createLog) is not a record batch.
        if (headerWritten || file.size() > 0) {
          Supplier<Throwable> fault = nextAppend.getAndSet(null);
          if (fault != null) {
            raise(fault.get());
          }
          logAppends.incrementAndGet();
        }
        headerWritten = true;
      }
      file.append(src);
    }

    @Override
    public void force() throws IOException {
      if (isLog(path)) {
        logForces.incrementAndGet();
        Supplier<Throwable> fault = nextForce.getAndSet(null);
        if (fault != null) {
          raise(fault.get());
        }
      }
      file.force();
    }

    @Override
    public long size() throws IOException {
      return file.size();
    }

    @Override
    public ByteBuffer map(long position, int length) throws IOException {
      return file.map(position, length);
    }

    @Override
    public void truncate(long size) throws IOException {
      file.truncate(size);
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
