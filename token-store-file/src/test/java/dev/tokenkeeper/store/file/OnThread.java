package dev.tokenkeeper.store.file;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** Runs a call on a daemon thread of its own, for tests that race calls or watch one block. */
final class OnThread {

  private OnThread() {}

  /** Starts {@code call} on a daemon thread named {@code name}; its outcome completes the result. */
  static <T> CompletableFuture<T> start(String name, Callable<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(call.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return result;
  }
}
