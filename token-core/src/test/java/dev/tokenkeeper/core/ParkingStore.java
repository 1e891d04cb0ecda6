package dev.tokenkeeper.core;

import dev.tokenkeeper.core.FaultInjector.Step;
import dev.tokenkeeper.core.FaultInjector.When;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A store that parks the thread making one chosen call at a named step, before the call reaches
 * the store or after the store applied it, until the test releases it: how a test forces an
 * interleaving (a logout landing between a refresh's read and its rotation) instead of hoping
 * threads produce it. Arm it with {@link #parkNext}, start the call on another thread, wait for
 * {@link #awaitParked}, do what must land in between, then {@link #release}. One park per store;
 * every other call passes straight through.
 *
 * <p>Thread-safe. Published in token-core's test-jar.
 */
public final class ParkingStore extends SteppedStore {

  /** How long a test waits for a park or a release before it fails rather than hang. */
  private static final long BOUND_SECONDS = 30;

  private final CountDownLatch parked = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile Step step;
  private volatile When when;

  public ParkingStore(TokenStore delegate) {
    super(delegate);
  }

  /**
   * Parks the next call of {@code step}, {@code when}: {@link When#BEFORE} it reaches the store,
   * or {@link When#AFTER} the store applied it and before it returns. Returns this store.
   *
   * @throws IllegalStateException if a park was armed already
   */
  public ParkingStore parkNext(Step step, When when) {
    synchronized (this) {
      if (this.step != null || parked.getCount() == 0) {
        throw new IllegalStateException("a park was armed already: " + this.step);
      }
      this.when = when;
      this.step = step;
    }
    return this;
  }

  /** Waits, at most 30 seconds, until the armed call is parked. */
  public void awaitParked() throws InterruptedException {
    if (!parked.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("no call of " + step + " reached the park");
    }
  }

  /** Lets the parked call go on (or the next one arriving, if none is parked yet). */
  public void release() {
    released.countDown();
  }

  @Override
  protected <T> T around(Step at, Supplier<T> call) {
    park(at, When.BEFORE);
    T result = call.get();
    park(at, When.AFTER);
    return result;
  }

  private void park(Step at, When moment) {
    synchronized (this) {
      if (at != step || moment != when) {
        return;
      }
      step = null; // one park: the next call of this step passes
    }
    parked.countDown();
    try {
      if (!released.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("a call parked at " + at + " " + moment + " was never released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while parked at " + at, e);
    }
  }
}
