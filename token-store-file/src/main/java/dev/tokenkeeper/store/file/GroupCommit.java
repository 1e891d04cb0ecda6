package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Who may say durable: the queue of writers in front of the log, and the only code that moves
 * the durable position. After LevelDB's {@code DBImpl::Write}, with the file work done on a
 * thread of its own.
 *
 * <p>A writer hands in its records ({@link #enqueue}, in the order the store changed memory) and
 * then waits in a queue. The writer at the head leads: every record handed in so far (up to
 * about 1 MiB) becomes one batch, written with one write and, if any writer queued needs it,
 * forced with one fsync; then exactly the writers that batch covered are woken, each on a
 * condition of its own, and only the next head is signalled, which leads the next batch with
 * whatever arrived meanwhile. The leader stays at the head while its batch is written, so no two
 * batches are written or forced at once, and the lock is released meanwhile, so records keep
 * arriving. Each record is numbered as it is handed in; {@code written} and {@code durable} are
 * the numbers up to which records reached the file system and stable storage.
 *
 * <p><b>The log thread.</b> The head does not lead on its own thread: it hands its leading (the
 * batches up to its own record, the waking, the signal to the next head) to the log thread and
 * waits for it. An interrupt that reaches a thread inside a {@code FileChannel} operation closes
 * the channel for everyone ({@code ClosedByInterruptException}), and a failed write must latch
 * the store; so if callers touched the log, one {@code Future.cancel(true)} would refuse every
 * later login. Nobody else can interrupt the log thread. Every wait here goes on through an
 * interrupt, which stays set: a batch may be on its way to the disk, and the writers it holds
 * must learn its outcome. Since the log thread wakes the covered writers and signals the next
 * head itself, the end of a batch reaches them as fast as when a caller led; the hand-over costs
 * one more thread wake-up per batch, small beside an fsync. Heads stay callers, rather than the
 * log thread taking batch after batch itself: going from one fsync straight to the next, before
 * the writers just woken can hand in again, split 16 writers into batches of about 8 where
 * waiting for the next head to come gathers 11 to 13.
 *
 * <p>A failed write or fsync sets the {@link FailureLatch} and fails every writer queued; from
 * then on every call refuses before any I/O. So no path forces twice after a failure, and no
 * record a failed fsync may have lost is ever reported durable. Rotating to the next log and
 * closing join the same queue and act only as its head, once everything handed in before them is
 * durable.
 *
 * <p>Thread-safe.
 */
final class GroupCommit {

  /** The most one batch holds (LevelDB's cap on a batch group), unless one record. */
  private static final int MAX_BATCH = 1 << 20;

  /** Creates the next log, for {@link #rotate}. */
  interface NextLog {
    LogWriter create() throws IOException;
  }

  /** File work the log thread does with the lock released. */
  private interface Io<T> {
    T run() throws IOException;
  }

  /** A thread waiting in the queue. */
  private static final class Writer {
    final long ticket;
    final boolean sync;
    /** Rotation and close: never released by another leader, they act as the head. */
    final boolean exclusive;
    final Condition wake;
    boolean done;
    boolean failed;

    Writer(long ticket, boolean sync, boolean exclusive, Condition wake) {
      this.ticket = ticket;
      this.sync = sync;
      this.exclusive = exclusive;
      this.wake = wake;
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Writer> queue = new ArrayDeque<>();
  private final FailureLatch latch;
  /** The only thread that writes, forces, creates or seals a log. */
  private final ExecutorService logThread;
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

  /** The group commit of {@code log}, its log thread named {@code threadName}. */
  GroupCommit(LogWriter log, FailureLatch latch, String threadName) {
    this.log = log;
    this.latch = latch;
    this.logThread = Executors.newSingleThreadExecutor(StoreThreads.daemon(threadName));
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
      enqueued += frames.size();
      return enqueued;
    } finally {
      lock.unlock();
    }
  }

  /** The number of the last record handed in. */
  long enqueued() {
    lock.lock();
    try {
      return enqueued;
    } finally {
      lock.unlock();
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
    lock.lock();
    try {
      Writer me = join(true);
      onLogThread(me, () -> {
        lead(me);
        LogWriter old = log;
        LogWriter fresh;
        try {
          fresh = unlocked(next::create);
        } catch (IOException | RuntimeException e) {
          throw failQueue(me, "creating the next log after " + old.path() + " failed: "
              + e.getMessage(), e);
        }
        log = fresh;
        logBytes = fresh.size();
        closeQuietly(old);
      });
    } finally {
      lock.unlock();
    }
  }

  /**
   * Forces everything handed in, ends the log with a closing mark ({@link LogWriter#seal}) and
   * refuses every later call. Does nothing once closed.
   *
   * @throws StoreUnavailableException if the latch is set or a step fails (which sets it)
   */
  void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      Writer me = join(true);
      onLogThread(me, () -> {
        lead(me);
        LogWriter target = log;
        long started = System.nanoTime();
        try {
          unlocked(() -> {
            target.seal();
            return null;
          });
        } catch (IOException | RuntimeException e) {
          throw failQueue(me, "closing " + target.path() + " failed: " + e.getMessage(), e);
        }
        count(System.nanoTime() - started, 0);
        logBytes = target.size();
        closed = true;
      });
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes the log's file without writing anything more, and ends the log thread once idle: on
   * close, or a simulated crash.
   */
  void release() throws IOException {
    lock.lock();
    try {
      closed = true;
      logThread.shutdown();
      log.close();
    } finally {
      lock.unlock();
    }
  }

  /** The current log's generation. */
  long generation() {
    lock.lock();
    try {
      return log.generation();
    } finally {
      lock.unlock();
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
      lock.unlock();
    }
  }

  // ---- the queue; every method below runs under lock ----

  private void await(long ticket, boolean sync) {
    lock.lock();
    try {
      if (covered(ticket, sync)) {
        return;
      }
      Writer me = join(ticket, sync, false);
      if (me.done) {
        if (me.failed) {
          throw latch.unavailable();
        }
        return;
      }
      onLogThread(me, () -> lead(me));
    } finally {
      lock.unlock();
    }
  }

  /** Queues an exclusive writer for everything handed in so far and waits to be the head. */
  private Writer join(boolean exclusive) {
    Writer me = join(enqueued, true, exclusive);
    if (me.failed) {
      throw latch.unavailable();
    }
    return me;
  }

  /** Queues a writer and waits until another leader covered it, or it is the head. */
  private Writer join(long ticket, boolean sync, boolean exclusive) {
    requireOpen();
    latch.check();
    Writer me = new Writer(ticket, sync, exclusive, lock.newCondition());
    queue.addLast(me);
    while (!me.done && queue.peekFirst() != me) {
      me.wake.awaitUninterruptibly();
    }
    return me;
  }

  /**
   * On the log thread, for the head {@code me}: writes (and forces, if a queued writer needs it)
   * batch after batch until {@code me} is covered, waking the writers each covered. {@code me} is
   * the head throughout, so no other batch is written or forced meanwhile.
   */
  private void lead(Writer me) {
    while (!covered(me.ticket, me.sync)) {
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
      } catch (IOException | RuntimeException e) {
        // Whatever the batch left in the file (a partial frame, pages a failed fsync dropped),
        // nothing may be written or forced after it.
        throw failQueue(me, (wrote[0] ? "fsync of " : "append to ") + target.path()
            + " failed: " + e.getMessage(), e);
      }
      written = end;
      if (force) {
        count(nanos, end - durable);
        durable = end;
      }
      logBytes = target.size();
      wakeCovered(me);
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

  /** Releases every queued writer the last batch covered, each on its own condition. */
  private void wakeCovered(Writer me) {
    queue.removeIf(writer -> {
      if (writer == me || writer.exclusive || !covered(writer.ticket, writer.sync)) {
        return false;
      }
      writer.done = true;
      writer.wake.signal();
      return true;
    });
  }

  /** {@code me} leaves the head; only the next head is signalled. */
  private void leave(Writer me) {
    queue.remove(me);
    Writer next = queue.peekFirst();
    if (next != null) {
      next.wake.signal();
    }
  }

  /**
   * Latches the failure ({@code cause} null: it was latched elsewhere) and fails every writer
   * queued behind {@code me}; returns the exception for {@code me} to throw.
   */
  private StoreUnavailableException failQueue(Writer me, String what, Exception cause) {
    StoreUnavailableException failure =
        cause == null ? latch.unavailable() : latch.fail(what, cause);
    queue.removeIf(writer -> {
      if (writer == me) {
        return false;
      }
      writer.done = true;
      writer.failed = true;
      writer.wake.signal();
      return true;
    });
    return failure;
  }

  /** Runs {@code io} with the lock released; on the log thread only. */
  private <T> T unlocked(Io<T> io) throws IOException {
    lock.unlock();
    try {
      return io.run();
    } finally {
      lock.lock();
    }
  }

  /**
   * Has the log thread do {@code work} as the head {@code me}, under the lock, then leave the
   * head; waits for it through any interrupt (which stays set), rethrowing what it threw. The
   * log thread, not {@code me}, wakes the writers a batch covered and signals the next head, so
   * a batch's end reaches them without waiting for {@code me} to be scheduled.
   */
  private void onLogThread(Writer me, Runnable work) {
    Future<?> done;
    try {
      done = logThread.submit(() -> {
        lock.lock();
        try {
          work.run();
        } finally {
          leave(me);
          lock.unlock();
        }
      });
    } catch (RejectedExecutionException e) {
      leave(me);
      throw closedException();
    }
    lock.unlock();
    try {
      StoreThreads.await(done, RuntimeException.class);
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
      throw closedException();
    }
  }

  private static IllegalStateException closedException() {
    return new IllegalStateException("the log of this token store is closed");
  }

  private static void closeQuietly(LogWriter old) {
    try {
      old.close();
    } catch (IOException e) {
      // Everything in it was forced; a failed close loses nothing.
    }
  }
}
