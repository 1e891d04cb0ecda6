package dev.tokenkeeper.store.file;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the first open in a JVM pays besides its own work: loading and checking the classes it
 * runs, and seeding the random source its tables' hashes are keyed from (the seeding gathers
 * entropy, some 20 ms). On one thread that is some tens of milliseconds before the image is read,
 * while the second core waits. Started as the first open starts, a thread of its own does that
 * work while the open's thread locks the directory and scans it; a class one thread is loading,
 * the other waits for, so nothing is done twice. Spring Boot's {@code BackgroundPreinitializer}
 * does the same for an application's start.
 *
 * <p>The open's own path spells its callbacks as classes, not lambdas, and its module compiles
 * string concatenation without {@code invokedynamic}: the first run of each lambda in a JVM spins
 * a class for it, and of each concatenation a method handle, at a millisecond or more apiece in a
 * cold JVM, and a cold open met some twenty (30 to 50 ms of a 1M open, BENCHMARKS.md, section 3,
 * run 23).
 */
final class OpenPreloader implements Runnable {

  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private OpenPreloader() {}

  /** Starts the preloading, once per JVM. */
  static void start() {
    if (STARTED.compareAndSet(false, true)) {
      StoreThreads.daemon("tokenkeeper-preload").newThread(new OpenPreloader()).start();
    }
  }

  @Override
  public void run() {
    KeyHash.fresh();
    // In the order an open of a snapshot uses them: the ones it reaches first come first.
    Class<?>[] used = {StoreScan.class, StoreState.class, CompactLiveIndex.class, SlotArena.class,
        SlotTable.class, TextPool.class, FrameReader.class, Frames.class, LogEntry.class,
        IndexImage.class, ImageCheck.class, KeyProbes.class, LogWriter.class, LogTail.class,
        FailureLatch.class, GroupCommit.class, TouchBuffer.class, Compactor.class};
    for (Class<?> type : used) {
      try {
        Class.forName(type.getName(), true, type.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        // The open loads it itself and meets the same error where it can say so.
        return;
      }
    }
  }
}
