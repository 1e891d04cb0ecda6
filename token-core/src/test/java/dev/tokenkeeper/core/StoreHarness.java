package dev.tokenkeeper.core;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * The axes a store's contract runs over, declared once (Caffeine's {@code @CacheSpec} in small):
 * a test class names its store kind and configuration (durability mode, near cache, injected
 * faults) by implementing {@link #newStore} and {@link #reopen}, and every contract test runs on
 * it. Time is a {@link MutableClock} the test advances, never a sleep.
 *
 * <p>Stores a test opens through {@link #open()} are recorded ({@link AcknowledgedStore}); after
 * every test a validation step reopens each and checks that everything acknowledged is there:
 * sessions and tokens created, revokes, rotations and touches, and that the subject index agrees.
 * Published in token-core's test-jar.
 */
public interface StoreHarness {

  /** Where every harness clock starts. Stores see time only through the clock they are given. */
  Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** A new, empty store, reading time (for compaction, expiry of its own) from {@code clock}. */
  TokenStore newStore(Clock clock);

  /**
   * Closes {@code store} (cleanly; closing twice is harmless) and opens one on the same data.
   * Memory-only stores return it as is.
   */
  default TokenStore reopen(TokenStore store) {
    return store;
  }

  /** This test's clock; every store it opens reads it. */
  default MutableClock clock() {
    return Run.of(this).clock;
  }

  /** A new store, recorded so that what it acknowledges is validated after the test. */
  default AcknowledgedStore open() {
    Run run = Run.of(this);
    AcknowledgedStore store = new AcknowledgedStore(this, newStore(run.clock));
    run.stores.add(store);
    return store;
  }

  /** Reopens every store this test opened and checks what each acknowledged is still there. */
  @AfterEach
  default void validateAcknowledged() {
    Run run = Run.RUNS.remove(this);
    if (run == null) {
      return;
    }
    for (AcknowledgedStore store : run.stores) {
      store.validate();
    }
  }

  /** The state of one test: its clock and the stores it opened. */
  final class Run {
    private static final Map<StoreHarness, Run> RUNS =
        Collections.synchronizedMap(new IdentityHashMap<>());

    private final MutableClock clock = new MutableClock(T0);
    private final List<AcknowledgedStore> stores = Collections.synchronizedList(new ArrayList<>());

    private static Run of(StoreHarness harness) {
      return RUNS.computeIfAbsent(harness, h -> new Run());
    }
  }
}
