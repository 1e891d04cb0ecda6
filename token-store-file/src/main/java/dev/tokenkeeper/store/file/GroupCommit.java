package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Who may say durable: the queue of writers in front of the log, and the only code that moves
 * the durable position. After LevelDB's {@code DBImpl::Write}.
 *
 * <p>A writer hands in its records ({@link #enqueue}, in the order the store changed memory) and
 * then waits in a queue. The writer at the head leads: it takes every record handed in so far
 * (up to about 1 MiB) as one batch, writes it with one write and, if any writer queued needs it,
 * forces it with one fsync; then it releases exactly the writers that batch covered, and then
 * the next head, which leads the next batch with whatever arrived meanwhile. The leader stays at
 * the head while it works, so no two threads write or force at once, and releases the lock while
 * it does, so records keep arriving. Each record is numbered as it is handed in;
 * {@code written} and {@code durable} are the numbers up to which records reached the file
 * system and stable storage.
 *
 * <p><b>Waking.</b> A released writer is unparked once the lock is let go and returns without
 * taking it again: on two cores, a dozen writers handing the lock one to the next on their way
 * out, while writers holding the store's change lock wait for it to hand in records, cost more
 * than the fsync they shared. Under load the next head gathers (see {@link #gather}): it waits a
 * bounded moment for the writers just released to hand in their next records, since every
 * record that misses an fsync waits for a whole one more.
 *
 * <p><b>Interrupts.</b> Leaders are callers' threads, which anyone may interrupt (a
 * {@code Future.cancel(true)}, an executor's {@code shutdownNow}): so the log's file must not be
 * an {@code InterruptibleChannel}, which an interrupt closes for everyone ({@link SystemDisk}
 * writes and forces through {@code RandomAccessFile}), and every wait here goes on through an
 * interrupt, which stays set, except a gathering head's, which stops gathering. An interrupted
 * leader finishes its batch, so it and the writers behind it learn the outcome of records that
 * may already be on the disk.
 *
 * <p>A failed write or fsync (whatever it throws: an Error too, as a batch it took and did not
 * write would put every later record number off by it) sets the {@link FailureLatch} and fails
 * every writer queued; from then on every call refuses before any I/O. So no path forces twice
 * after a failure, and no record a failed fsync may have lost is ever reported durable. Rotating
 * to the next log and closing join the same queue and act only as its head, once everything
 * handed in before them is durable.
 *
 * <p>Thread-safe.
 */
final class GroupCommit {

  /** The most a leader writes at once (LevelDB's cap on a batch group), unless one record. */
  private static final int MAX_BATCH = 1 << 20;
  /** The fewest writers an fsync must have released for the next head to gather. */
  private static final int GATHER_FROM = 4;
  /** The longest a head gathers, whatever an fsync takes. */
  private static final long GATHER_AT_MOST = 1_000_000;

  /** Creates the next log, for {@link #rotate}. */
  interface NextLog {
    LogWriter create() throws IOException;
  }

  /** File work the head does with the lock released. */
  private interface Io<T> {
    T run() throws IOException;
  }

  /** A thread waiting in the queue. */
  private static final class Writer {
    static final int WAITING = 0;
    static final int HEAD = 1;
    static final int DONE = 2;
    static final int FAILED = 3;

    final long ticket;
    final boolean sync;
    /** Rotation and close: never released by another leader, they act as the head. */
    final boolean exclusive;
    final Thread thread = Thread.currentThread();
    /** Set under the lock, read by the writer without it. */
    volatile int state = WAITING;

    Writer(long ticket, boolean sync, boolean exclusive) {
      this.ticket = ticket;
      this.sync = sync;
      this.exclusive = exclusive;
    }

    /** Parks without the lock until released or made the head, through interrupts. */
    int awaitTurn() {
      boolean interrupted = false;
      int now;
      while ((now = state) == WAITING) {
        LockSupport.park(this);
        interrupted |= Thread.interrupted();
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return now;
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when as many records as a gathering head waits for were handed in. */
  private final Condition gathered = lock.newCondition();
  private final ArrayDeque<Writer> queue = new ArrayDeque<>();
  /** Writers released under the lock, unparked once it is let go; guarded by lock. */
  private final ArrayList<Thread> toWake = new ArrayList<>();
  private final FailureLatch latch;
  /** Sees every record handed in, in order, while a compaction follows the log. */
  private final LogTail tail;
  /** Records handed in and not yet taken by a leader, oldest first; guarded by lock. */
  private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
  /** Records handed in, written to the file system, and on stable storage; guarded by lock. */
  private long enqueued;
  private long written;
  private long durable;
  /** Guarded by lock; used by the head only. */
  private LogWriter log;
  private boolean closed;

  /** Figures; guarded by lock. */
  private long fsyncs;
  private long recordsSynced;
  private long fsyncNanos;
  private long fsyncNanosMax;
  private volatile long logBytes;

  /** The writers waiting for durability the last fsync released, and its time; guarded by lock. */
  private int lastReleased;
  private long lastForceNanos;
  /** The record number a gathering head waits for, or 0; guarded by lock. */
  private long gatherUntil;

  GroupCommit(LogWriter log, FailureLatch latch, LogTail tail) {
    this.log = log;
    this.latch = latch;
    this.tail = tail;
    this.logBytes = log.size();
  }

  /**
   * Hands in one record; the caller holds the store's change lock, so records are numbered in
   * the order memory changed. Returns its number, to wait for.
   */
  long enqueue(ByteBuffer frame) {
    return enqueue(List.of(frame));
  }

  /** Hands in records, numbered in order; returns the number of the last. */
  long enqueue(List<ByteBuffer> frames) {
    lock.lock();
    try {
      requireOpen();
      latch.check();
      pending.addAll(frames);
      if (gatherUntil != 0 && enqueued + frames.size() >= gatherUntil) {
        gathered.signal();
      }
      tail.add(frames);
      enqueued += frames.size();
      return enqueued;
    } finally {
      unlock();
    }
  }

  /** The number of the last record handed in. */
  long enqueued() {
    lock.lock();
    try {
      return enqueued;
    } finally {
      unlock();
    }
  }

  /** Returns once record {@code ticket} and all before it reached the file system. */
  void awaitWritten(long ticket) {
    await(ticket, false);
  }

  /** Returns once record {@code ticket} and all before it are on stable storage. */
  void awaitDurable(long ticket) {
    await(ticket, true);
  }

  /** Returns once every record handed in so far is on stable storage. */
  void sync() {
    await(enqueued(), true);
  }

  /**
   * Forces everything handed in so far, then, with no writer active, switches to the log
   * {@code next} creates: everything in a retired log is durable, so on open only the newest can
   * hold a hole. The caller holds the store's change lock, so nothing is handed in meanwhile.
   *
   * @throws StoreUnavailableException if the latch is set or a step fails (which sets it)
   */
  void rotate(NextLog next) {
    Writer me = joinExclusive(false);
    lock.lock();
    try {
      try {
        lead(me);
        LogWriter old = log;
        LogWriter fresh;
        try {
          fresh = unlocked(next::create);
        } catch (Throwable e) {
          throw headFailed(me, "creating the next log after " + old.path() + " failed: ", e);
        }
        log = fresh;
        logBytes = fresh.size();
        closeQuietly(old);
      } finally {
        leave(me);
      }
    } finally {
      unlock();
    }
  }

  /**
   * Forces everything handed in, ends the log with a closing mark ({@link LogWriter#seal}) and
   * refuses every later call. Does nothing once closed.
   *
   * @throws StoreUnavailableException if the latch is set or a step fails (which sets it)
   */
  void close() {
    Writer me = joinExclusive(true);
    if (me == null) {
      return;
    }
    lock.lock();
    try {
      try {
        if (closed) {
          return;
        }
        lead(me);
        LogWriter target = log;
        long started = System.nanoTime();
        try {
          unlocked(() -> {
            target.seal();
            return null;
          });
        } catch (Throwable e) {
          throw headFailed(me, "closing " + target.path() + " failed: ", e);
        }
        count(System.nanoTime() - started, 0);
        logBytes = target.size();
        closed = true;
      } finally {
        leave(me);
      }
    } finally {
      unlock();
    }
  }

  /** Closes the log's file without writing anything more: on close, or a simulated crash. */
  void release() throws IOException {
    lock.lock();
    try {
      closed = true;
      log.close();
    } finally {
      unlock();
    }
  }

  /** The current log's generation. */
  long generation() {
    lock.lock();
    try {
      return log.generation();
    } finally {
      unlock();
    }
  }

  /** The current log's size in bytes, as of the last batch. */
  long logBytes() {
    return logBytes;
  }

  /** The fsyncs of the log since open, the records they made durable, and their time. */
  record Figures(long fsyncs, long recordsSynced, long nanos, long maxNanos) {}

  Figures figures() {
    lock.lock();
    try {
      return new Figures(fsyncs, recordsSynced, fsyncNanos, fsyncNanosMax);
    } finally {
      unlock();
    }
  }

  // ---- the queue ----

  private void await(long ticket, boolean sync) {
    Writer me;
    lock.lock();
    try {
      if (covered(ticket, sync)) {
        return;
      }
      me = queue(ticket, sync, false);
    } finally {
      unlock();
    }
    int turn = me.awaitTurn();
    if (turn == Writer.DONE) {
      return;
    }
    if (turn == Writer.FAILED) {
      throw latch.unavailable();
    }
    lock.lock();
    try {
      try {
        lead(me);
      } finally {
        leave(me);
      }
    } finally {
      unlock();
    }
  }

  /**
   * Queues an exclusive writer for everything handed in so far and waits, without the lock, until
   * it is the head; null if {@code closing} and the log is closed already.
   */
  private Writer joinExclusive(boolean closing) {
    Writer me;
    lock.lock();
    try {
      if (closing && closed) {
        return null;
      }
      me = queue(enqueued, true, true);
    } finally {
      unlock();
    }
    if (me.awaitTurn() == Writer.FAILED) {
      throw latch.unavailable();
    }
    return me;
  }

  // ---- every method below runs under lock ----

  /** Queues a writer, the head at once if the queue was empty. */
  private Writer queue(long ticket, boolean sync, boolean exclusive) {
    requireOpen();
    latch.check();
    Writer me = new Writer(ticket, sync, exclusive);
    queue.addLast(me);
    if (queue.peekFirst() == me) {
      me.state = Writer.HEAD;
    }
    return me;
  }

  /**
   * Writes (and forces, if a queued writer needs it) batch after batch until {@code me} is
   * covered. {@code me} is the head throughout, so no other thread writes or forces meanwhile.
   */
  private void lead(Writer me) {
    while (!covered(me.ticket, me.sync)) {
      if (me.sync && !me.exclusive) {
        gather();
      }
      if (latch.isSet()) {
        throw failQueue(me, null, null);
      }
      List<ByteBuffer> batch = takeBatch();
      long end = written + batch.size();
      boolean force = needsForce(end);
      LogWriter target = log;
      boolean[] wrote = {false};
      long nanos;
      try {
        nanos = unlocked(() -> {
          if (!batch.isEmpty()) {
            target.write(batch);
          }
          wrote[0] = true;
          if (!force) {
            return 0L;
          }
          long started = System.nanoTime();
          target.force();
          return System.nanoTime() - started;
        });
      } catch (Throwable e) {
        // Whatever the batch left in the file (a partial frame, pages a failed fsync dropped),
        // nothing may be written or forced after it.
        throw headFailed(me, (wrote[0] ? "fsync of " : "append to ") + target.path()
            + " failed: ", e);
      }
      written = end;
      if (force) {
        lastForceNanos = nanos;
        count(nanos, end - durable);
        durable = end;
      }
      logBytes = target.size();
      int released = wakeCovered(me);
      if (force) {
        lastReleased = released + (me.sync && covered(me.ticket, true) ? 1 : 0);
      }
    }
  }

  /**
   * Under load, when the last fsync released {@link #GATHER_FROM} writers or more that waited for
   * it, waits at most half that fsync (and never over {@link #GATHER_AT_MOST}) until a record for
   * each is handed in: they are on their way back, and each record that misses this fsync waits a
   * whole one more. Where they do not come back, the batch goes at the bound, and the next head,
   * after an fsync that released fewer, does not wait. An fsync that released no one (an
   * {@code INTERVAL} store's timer) makes no one gather.
   */
  private void gather() {
    if (lastReleased < GATHER_FROM) {
      return;
    }
    long want = durable + lastReleased;
    long budget = Math.min(lastForceNanos / 2, GATHER_AT_MOST);
    gatherUntil = want;
    try {
      while (enqueued < want && budget > 0 && !latch.isSet()) {
        budget = gathered.awaitNanos(budget);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      gatherUntil = 0;
    }
  }

  private List<ByteBuffer> takeBatch() {
    List<ByteBuffer> batch = new ArrayList<>();
    long bytes = 0;
    while (!pending.isEmpty()
        && (batch.isEmpty() || bytes + pending.peekFirst().remaining() <= MAX_BATCH)) {
      ByteBuffer frame = pending.pollFirst();
      bytes += frame.remaining();
      batch.add(frame);
    }
    return batch;
  }

  /** Whether a queued writer needs records up to {@code end}, or earlier, forced. */
  private boolean needsForce(long end) {
    for (Writer writer : queue) {
      if (writer.sync && writer.ticket > durable && writer.ticket <= end) {
        return true;
      }
    }
    return false;
  }

  private boolean covered(long ticket, boolean sync) {
    return (sync ? durable : written) >= ticket;
  }

  /** Releases every queued writer the last batch covered; returns how many waited for an fsync. */
  private int wakeCovered(Writer me) {
    int[] waitedForSync = {0};
    queue.removeIf(writer -> {
      if (writer == me || writer.exclusive || !covered(writer.ticket, writer.sync)) {
        return false;
      }
      release(writer, Writer.DONE);
      waitedForSync[0] += writer.sync ? 1 : 0;
      return true;
    });
    return waitedForSync[0];
  }

  /** {@code me} leaves the head; only the next head is woken, after those released. */
  private void leave(Writer me) {
    queue.remove(me);
    Writer next = queue.peekFirst();
    if (next != null) {
      release(next, Writer.HEAD);
    }
  }

  /**
   * Latches the failure ({@code cause} null: it was latched elsewhere) and fails every writer
   * queued behind {@code me}; returns the exception for {@code me} to throw.
   */
  private StoreUnavailableException failQueue(Writer me, String what, Throwable cause) {
    StoreUnavailableException failure =
        cause == null ? latch.unavailable() : latch.fail(what, cause);
    queue.removeIf(writer -> {
      if (writer == me) {
        return false;
      }
      release(writer, Writer.FAILED);
      return true;
    });
    return failure;
  }

  /**
   * The head's file work failed: latches it and fails everyone queued, as {@link #failQueue}.
   * An {@link Error} (an OutOfMemoryError allocating a batch's buffer) is thrown as itself once
   * latched: the batch left {@code pending} unwritten, so every later number would be off by it.
   */
  private StoreUnavailableException headFailed(Writer me, String what, Throwable cause) {
    StoreUnavailableException failure = failQueue(me, what + cause.getMessage(), cause);
    if (cause instanceof Error error) {
      throw error;
    }
    return failure;
  }

  private void release(Writer writer, int outcome) {
    writer.state = outcome;
    toWake.add(writer.thread);
  }

  /** Lets go of the lock, then unparks the writers released under it. */
  private void unlock() {
    if (toWake.isEmpty()) {
      lock.unlock();
      return;
    }
    Thread[] released = toWake.toArray(new Thread[0]);
    toWake.clear();
    lock.unlock();
    for (Thread thread : released) {
      LockSupport.unpark(thread);
    }
  }

  private <T> T unlocked(Io<T> io) throws IOException {
    unlock();
    try {
      return io.run();
    } finally {
      lock.lock();
    }
  }

  private void count(long nanos, long records) {
    fsyncs++;
    recordsSynced += records;
    fsyncNanos += nanos;
    fsyncNanosMax = Math.max(fsyncNanosMax, nanos);
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the log of this token store is closed");
    }
  }

  private static void closeQuietly(LogWriter old) {
    try {
      old.close();
    } catch (IOException e) {
      // Everything in it was forced; a failed close loses nothing.
    }
  }
}
