package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A {@link Disk} over the real one that fails on demand: the n-th change from when it is armed
 * (create, append, force, truncate, rename, directory force, delete), every force, or the next
 * append or force of a log with any Throwable a test makes, an Error as well. Counts forces
 * so a test can see that a failed fsync is never retried, records the size of every append, and
 * can park the next append, or the next force of a file, until the test lets it go.
 */
final class FaultyDisk implements Disk {

  private final Disk real = Disk.system();
  private final AtomicInteger countdown = new AtomicInteger(-1);
  private final AtomicInteger forces = new AtomicInteger();
  private volatile boolean failForces;
  private volatile boolean skipForces;
  private volatile String failedAt;
  private volatile IOException injected;
  private final List<Integer> appends = new CopyOnWriteArrayList<>();
  private final AtomicReference<CountDownLatch[]> appendHold = new AtomicReference<>();

  /**
   * Parks the next append (before it writes) until {@link #releaseAppend}; returns a latch that
   * opens once an append is parked.
   */
  CountDownLatch holdNextAppend() {
    CountDownLatch[] hold = {new CountDownLatch(1), new CountDownLatch(1)};
    appendHold.set(hold);
    return hold[0];
  }

  void releaseAppend(CountDownLatch held) {
    CountDownLatch[] hold = parked;
    if (hold != null && hold[0] == held) {
      hold[1].countDown();
    }
  }

  private volatile CountDownLatch[] parked;

  /** A force parked by {@link #holdNextForce}, before it reaches the real file. */
  static final class Hold {
    private final String prefix;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile Thread thread;

    private Hold(String prefix) {
      this.prefix = prefix;
    }

    /** Waits (bounded) until a force is parked here. */
    void awaitHeld() throws InterruptedException {
      if (!held.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("no force of " + prefix + "* was held");
      }
    }

    /** The thread parked in the force, once {@link #awaitHeld} returned. */
    Thread thread() {
      return thread;
    }

    /** Lets the parked force go on to the real file. */
    void release() {
      released.countDown();
    }

    /**
     * Parks without giving way to an interrupt, which stays set for the real force to see: as if
     * the thread had been interrupted inside a force that takes this long.
     */
    private void park() throws IOException {
      thread = Thread.currentThread();
      held.countDown();
      boolean interrupted = false;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      try {
        while (true) {
          try {
            if (released.await(Math.max(0, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS)) {
              return;
            }
            throw new IOException("a held force was never released");
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private final AtomicReference<Hold> forceHold = new AtomicReference<>();
  private final AtomicReference<Supplier<? extends Throwable>> nextLogAppend =
      new AtomicReference<>();
  private final AtomicReference<Supplier<? extends Throwable>> nextLogForce =
      new AtomicReference<>();

  /**
   * Throws what {@code fault} makes (an OutOfMemoryError, an InternalError...) from the next
   * append of records to a log, its header aside, before it writes.
   */
  void throwOnNextLogAppend(Supplier<? extends Throwable> fault) {
    nextLogAppend.set(fault);
  }

  /** Throws what {@code fault} makes from the next force of a log, before it forces. */
  void throwOnNextLogForce(Supplier<? extends Throwable> fault) {
    nextLogForce.set(fault);
  }

  private static void throwIfArmed(AtomicReference<Supplier<? extends Throwable>> armed, Path path)
      throws IOException {
    if (!path.getFileName().toString().startsWith("log-")) {
      return;
    }
    Supplier<? extends Throwable> fault = armed.getAndSet(null);
    if (fault == null) {
      return;
    }
    Throwable thrown = fault.get();
    if (thrown instanceof IOException e) {
      throw e;
    }
    if (thrown instanceof RuntimeException e) {
      throw e;
    }
    throw (Error) thrown;
  }

  /** Parks the next force of a file whose name starts with {@code prefix} until released. */
  Hold holdNextForce(String prefix) {
    Hold hold = new Hold(prefix);
    forceHold.set(hold);
    return hold;
  }

  private final AtomicReference<String> openFails = new AtomicReference<>();

  /** Fails the next open for reading of a file whose name starts with {@code prefix}. */
  void failNextOpen(String prefix) {
    openFails.set(prefix);
  }

  /** The byte counts of the appends made so far, in order. */
  List<Integer> appends() {
    return List.copyOf(appends);
  }

  /** Fails the change after the next {@code changes} ones. */
  void failAfter(int changes) {
    countdown.set(changes);
  }

  void failForces() {
    failForces = true;
  }

  /** Makes forces no-ops, for tests that open many stores and test no durability. */
  FaultyDisk skipForces() {
    skipForces = true;
    return this;
  }

  int forces() {
    return forces.get();
  }

  /** The exception thrown for the failed operation, or null if none was failed. */
  IOException injected() {
    return injected;
  }

  /** The operation that was failed, or null if none was. */
  String failedAt() {
    return failedAt;
  }

  private void change(String op, Path path) throws IOException {
    if (countdown.get() >= 0 && countdown.getAndDecrement() == 0) {
      failedAt = op + " " + path.getFileName();
      injected = new IOException("injected failure: " + failedAt);
      throw injected;
    }
  }

  private void force(String op, Path path) throws IOException {
    forces.incrementAndGet();
    if (skipForces) {
      throw new SkippedForce();
    }
    if (failForces) {
      failedAt = op + " " + path.getFileName();
      injected = new IOException("injected fsync failure: " + failedAt);
      throw injected;
    }
    change(op, path);
  }

  @Override
  public File create(Path file) throws IOException {
    change("create", file);
    return new Faulty(real.create(file), file);
  }

  @Override
  public File open(Path file) throws IOException {
    String prefix = openFails.get();
    if (prefix != null && file.getFileName().toString().startsWith(prefix)
        && openFails.compareAndSet(prefix, null)) {
      failedAt = "open " + file.getFileName();
      injected = new IOException("injected failure: " + failedAt);
      throw injected;
    }
    return new Faulty(real.open(file), file);
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    change("rename", from);
    real.rename(from, to);
  }

  @Override
  public void forceDirectory(Path dir) throws IOException {
    try {
      force("forceDirectory", dir);
    } catch (SkippedForce skipped) {
      return;
    }
    real.forceDirectory(dir);
  }

  @Override
  public void delete(Path file) throws IOException {
    change("delete", file);
    real.delete(file);
  }

  private final class Faulty implements File {
    private final File file;
    private final Path path;

    Faulty(File file, Path path) {
      this.file = file;
      this.path = path;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return file.read(dst, position);
    }

    @Override
    public void append(ByteBuffer src) throws IOException {
      CountDownLatch[] hold = appendHold.getAndSet(null);
      if (hold != null) {
        parked = hold;
        hold[0].countDown();
        try {
          if (!hold[1].await(30, TimeUnit.SECONDS)) {
            throw new IOException("a held append was never released");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      if (file.size() > 0) {
        throwIfArmed(nextLogAppend, path);
      }
      change("append", path);
      appends.add(src.remaining());
      file.append(src);
    }

    @Override
    public void force() throws IOException {
      Hold hold = forceHold.get();
      if (hold != null && path.getFileName().toString().startsWith(hold.prefix)
          && forceHold.compareAndSet(hold, null)) {
        hold.park();
      }
      throwIfArmed(nextLogForce, path);
      try {
        FaultyDisk.this.force("force", path);
      } catch (SkippedForce skipped) {
        return;
      }
      file.force();
    }

    @Override
    public long size() throws IOException {
      return file.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      change("truncate", path);
      file.truncate(size);
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }

  private static final class SkippedForce extends IOException {
    private static final long serialVersionUID = 1L;
  }
}
