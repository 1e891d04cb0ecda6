package dev.tokenkeeper.store.file;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;

/**
 * The store's own threads, and how a caller waits for work done on one. Work that goes through
 * a {@code FileChannel} (forcing a directory, the directory's lock) runs only on these: an
 * interrupt that reaches a thread inside a channel operation closes the channel
 * ({@code ClosedByInterruptException}), and a caller's thread may be interrupted at any time (a
 * {@code Future.cancel(true)}, an executor's {@code shutdownNow}, a container's stuck-thread
 * handling), while nobody else can reach these. A caller waits for their work through any
 * interrupt, since the work may already have changed the disk and the caller must learn its
 * outcome, and returns with its interrupt still set.
 */
final class StoreThreads {

  /**
   * The group of every store thread, under the JVM's top group. A thread otherwise joins the group
   * of the thread that makes it, which for these is a caller's (the first write makes the
   * compaction thread, an opener the open thread and the timers), so a
   * {@code ThreadGroup.interrupt()} of request threads would reach them inside a channel
   * operation: a directory force cut short that way fails the store.
   */
  private static final ThreadGroup GROUP = new ThreadGroup(top(), "tokenkeeper-store");

  private StoreThreads() {}

  private static ThreadGroup top() {
    ThreadGroup group = Thread.currentThread().getThreadGroup();
    while (group.getParent() != null) {
      group = group.getParent();
    }
    return group;
  }

  /**
   * Makes daemon threads named {@code name}, in the store threads' own group: a store left open
   * never keeps a JVM alive.
   */
  static ThreadFactory daemon(String name) {
    return new Daemons(name);
  }

  /** A class, not a lambda: see {@link OpenPreloader}. */
  private static final class Daemons implements ThreadFactory {
    private final String name;

    Daemons(String name) {
      this.name = name;
    }

    @Override
    public Thread newThread(Runnable runnable) {
      Thread thread = new Thread(GROUP, runnable, name);
      thread.setDaemon(true);
      return thread;
    }
  }

  /**
   * Runs {@code work} on a new thread named {@code name} and returns its result, or throws what
   * it threw, as {@link #await} does.
   */
  static <T, X extends Exception> T run(String name, Callable<T> work, Class<X> checked)
      throws X {
    FutureTask<T> task = new FutureTask<>(work);
    daemon(name).newThread(task).start();
    return await(task, checked);
  }

  /**
   * Waits for {@code future} through any interrupt and returns its result, or throws what its
   * work threw: the same exception, so that its type and message reach the caller, if unchecked
   * or a {@code checked}. The interrupt stays set.
   */
  static <T, X extends Exception> T await(Future<T> future, Class<X> checked) throws X {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      if (checked.isInstance(cause)) {
        throw checked.cast(cause);
      }
      throw new IllegalStateException(cause);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
