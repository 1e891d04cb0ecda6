package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Real threads on the group commit alone: SYNC and written-only writers, a rotator (holding the
 * "change lock" as the store does), an interrupter and, at a random moment, a close; the
 * release without the lock and the gather step under all of it. More seeds with
 * {@code -Dgc.race.seeds=N}. Every call must return (no lost
 * wakeup), an interrupt set before a call stays set, an acknowledged SYNC record must be in a log
 * at an offset an fsync covered, and the logs must hold every record once, in ticket order.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupCommitRaceAttackTest {

  private static final Pattern RECORD = Pattern.compile("<(\\d+)>");

  @TempDir
  Path tmp;

  static Stream<Long> seeds() {
    return Stream.iterate(1L, s -> s + 1).limit(Integer.getInteger("gc.race.seeds", 10));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void writersRotationInterruptsAndClose_allReturn_inOrderOnce(long seed) throws Exception {
    Random plan = new Random(seed);
    Path dir = tmp.resolve("s" + seed);
    Files.createDirectories(dir);
    StoreDirectory files = new StoreDirectory(dir, Disk.system());
    FailureLatch latch = new FailureLatch(dir, LoggerFactory.getLogger(getClass()));
    GroupCommit commit = new GroupCommit(LogWriter.create(files, 1), latch, new LogTail());
    ReentrantLock changeLock = new ReentrantLock();
    AtomicLong generation = new AtomicLong(1);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean closed = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> problems = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Long> acknowledgedSync = new ConcurrentLinkedQueue<>();
    int writers = 6 + plan.nextInt(4);
    List<Thread> threads = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(writers + 2);

    for (int w = 0; w < writers; w++) {
      long writerSeed = plan.nextLong();
      threads.add(new Thread(() -> {
        Random r = new Random(writerSeed);
        try {
          while (!stop.get()) {
            long ticket;
            changeLock.lock();
            try {
              if (closed.get()) {
                break;
              }
              int n = 1 + r.nextInt(3);
              List<ByteBuffer> frames = new ArrayList<>();
              synchronized (commit) {
                long first = commit.enqueued() + 1;
                for (int i = 0; i < n; i++) {
                  frames.add(ByteBuffer.wrap(("<" + (first + i) + ">")
                      .getBytes(StandardCharsets.US_ASCII)));
                }
              }
              ticket = commit.enqueue(frames);
            } catch (StoreUnavailableException e) {
              break;
            } finally {
              changeLock.unlock();
            }
            boolean selfInterrupt = r.nextInt(8) == 0;
            if (selfInterrupt) {
              Thread.currentThread().interrupt();
            }
            boolean sync = r.nextInt(4) != 0;
            try {
              if (sync) {
                commit.awaitDurable(ticket);
                acknowledgedSync.add(ticket);
              } else {
                commit.awaitWritten(ticket);
              }
            } catch (IllegalStateException e) {
              // closed meanwhile: allowed only if close raced
              if (!closed.get()) {
                problems.add(e);
              }
              break;
            }
            if (selfInterrupt && !Thread.currentThread().isInterrupted()) {
              problems.add(new AssertionError("an interrupt set before the call was swallowed"));
            }
            Thread.interrupted();
          }
        } catch (Throwable e) {
          problems.add(e);
        } finally {
          Thread.interrupted();
          done.countDown();
        }
      }, "writer-" + w));
    }
    long rotatorSeed = plan.nextLong();
    threads.add(new Thread(() -> {
      Random r = new Random(rotatorSeed);
      try {
        while (!stop.get()) {
          try {
            Thread.sleep(r.nextInt(3));
          } catch (InterruptedException e) {
            // the interrupter's; go on
          }
          changeLock.lock();
          try {
            if (closed.get()) {
              break;
            }
            long next = generation.incrementAndGet();
            commit.rotate(() -> LogWriter.create(files, next));
          } finally {
            changeLock.unlock();
          }
        }
      } catch (Throwable e) {
        problems.add(e);
      } finally {
        done.countDown();
      }
    }, "rotator"));
    long interrupterSeed = plan.nextLong();
    threads.add(new Thread(() -> {
      Random r = new Random(interrupterSeed);
      try {
        while (!stop.get()) {
          threads.get(r.nextInt(writers)).interrupt();
          Thread.onSpinWait();
          if (r.nextInt(50) == 0) {
            Thread.yield();
          }
        }
      } finally {
        done.countDown();
      }
    }, "interrupter"));
    // Only callers' threads are interrupted: the rotator stands for the store's own thread.
    threads.forEach(Thread::start);

    Thread.sleep(200 + plan.nextInt(400));
    // Close races the writers and the rotator, as the store's close holds the change lock.
    changeLock.lock();
    try {
      closed.set(true);
      commit.close();
    } finally {
      changeLock.unlock();
    }
    stop.set(true);
    if (!done.await(30, TimeUnit.SECONDS)) {
      StringBuilder stuck = new StringBuilder();
      for (Thread t : threads) {
        if (t.isAlive()) {
          stuck.append(t.getName()).append(' ').append(t.getState()).append('\n');
          for (StackTraceElement e : t.getStackTrace()) {
            stuck.append("    at ").append(e).append('\n');
          }
        }
      }
      fail("seed " + seed + ": threads never returned:\n" + stuck);
    }
    commit.release();
    for (Throwable p : problems) {
      if (!(p instanceof InterruptedException)) {
        throw new AssertionError("seed " + seed + ": " + p, p);
      }
    }

    // Every record once, in order, across the logs by generation.
    long expected = 1;
    for (long g = 1; g <= generation.get(); g++) {
      Path log = files.log(g);
      if (!Files.exists(log)) {
        continue;
      }
      Matcher m = RECORD.matcher(new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1));
      while (m.find()) {
        long n = Long.parseLong(m.group(1));
        assertEquals(expected, n, "seed " + seed + ": log " + g + " out of order or repeated");
        expected++;
      }
    }
    long enqueued = commit.enqueued();
    assertEquals(enqueued, expected - 1, "seed " + seed + ": records missing from the logs");
    for (long t : acknowledgedSync) {
      assertTrue(t <= enqueued);
    }
    assertTrue(!latch.isSet(), "seed " + seed + ": latched without a fault");
  }
}
