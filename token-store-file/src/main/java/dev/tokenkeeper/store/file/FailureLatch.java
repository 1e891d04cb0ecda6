package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.file.Path;
import org.slf4j.Logger;

/**
 * The store's failed state, set once and never cleared: after a write or fsync fails, the kernel
 * may have dropped the pages it could not write and marked them clean, so a later fsync of the
 * same file can return success for bytes that are gone. Nothing that might write or force again
 * may run once it is set; the store must be reopened (which rebuilds its files) once the disk is
 * checked. The first cause wins and is logged once. Thread-safe.
 */
final class FailureLatch {

  private final Path directory;
  private final Logger logger;
  private volatile Throwable cause;

  FailureLatch(Path directory, Logger logger) {
    this.directory = directory;
    this.logger = logger;
  }

  boolean isSet() {
    return cause != null;
  }

  /** Throws if the latch is set. */
  void check() {
    if (cause != null) {
      throw unavailable();
    }
  }

  /** Sets the latch (the first cause wins) and returns the exception to throw. */
  synchronized StoreUnavailableException fail(String what, Throwable failure) {
    if (cause == null) {
      cause = failure;
      logger.error("Token store {} failed and now refuses all writes: {}", directory, what);
    }
    return unavailable();
  }

  /** A new exception saying why the store refuses writes; call only once the latch is set. */
  StoreUnavailableException unavailable() {
    Throwable failure = cause;
    return new StoreUnavailableException("token store " + directory + " refuses writes since a "
        + "write or fsync failed (" + failure.getMessage() + "); what was acknowledged before is "
        + "on disk; check the disk and reopen the store", failure);
  }
}
