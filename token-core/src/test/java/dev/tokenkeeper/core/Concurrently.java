package dev.tokenkeeper.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs one task on several threads released at the same moment, and waits, within a bound, for
 * all of them: how the concurrency tests race real threads without sleeping. Published in
 * token-core's test-jar.
 */
public final class Concurrently {

  /** The work of one thread, told its index. */
  public interface Task<T> {
    T run(int thread) throws Exception;
  }

  private Concurrently() {}

  /**
   * Each thread's result, in thread order. A failure in any thread is rethrown as it was thrown,
   * the first thread's first, once every thread has finished.
   *
   * @throws AssertionError if the threads cannot start or finish within a minute
   */
  public static <T> List<T> run(int threads, Task<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int index = t;
        futures.add(pool.submit(() -> {
          ready.countDown();
          if (!go.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("threads were never released");
          }
          return task.run(index);
        }));
      }
      if (!ready.await(60, TimeUnit.SECONDS)) {
        throw new AssertionError("threads did not start");
      }
      go.countDown();
      // Every thread has finished before a failure is rethrown, so nothing still writes to the
      // store while the test (or the harness's validation after it) looks at it.
      List<T> results = new ArrayList<>();
      Throwable first = null;
      for (Future<T> future : futures) {
        try {
          results.add(future.get(60, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          first = first == null ? e.getCause() : first;
        }
      }
      if (first instanceof Error error) {
        throw error;
      }
      if (first != null) {
        throw (Exception) first;
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
