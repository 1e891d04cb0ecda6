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
 * a test class names its store kind and configuration (durability mode, near cache) by
 * implementing {@link #newStore} and {@link #reopen}, and every contract test runs on it. The
 * last axis, injected faults, runs within each class: a test marked
 * {@link ContractTest#underFaults()} runs once as it is and once with {@link #faults()} failing
 * one of its writes, drawn from a printed seed ({@link #injectedFaults}), tolerating that typed
 * failure and no other ({@link FaultAxis}). Time is a {@link MutableClock} the test advances,
 * never a sleep.
 *
 * <p>Stores a test opens through {@link #open()} are recorded ({@link AcknowledgedStore}); after
 * every test a validation step reopens each and checks that everything acknowledged is there:
 * sessions and tokens created, revokes, rotations and touches, and that the subject index agrees.
 * A test that crashes a store ({@link AcknowledgedStore#crash}, through {@link #reopenAfterCrash})
 * gets the same check at once on what the crash left, touches aside.
 * A call that failed with {@link StoreUnavailableException} acknowledged nothing and may or may
 * not have landed; the validation accepts either, whole. Published in token-core's test-jar.
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

  /**
   * Opens a store on {@code store}'s data as they are after a crash, leaving {@code store}
   * abandoned, never closed: for a store owning its files, as its process dying leaves them (and,
   * in a mode promising to survive power loss, as a power cut leaves the disk: bytes never
   * forced are gone); for a client of a shared server, as a new client finds the server once the
   * old one dropped without a word (its lazy writes never sent). Nothing of {@code store} may
   * land after this returns. {@code null} if this store kind cannot be opened that way here (a
   * memory-only store), and the crash tests are skipped. See {@link AcknowledgedStore#crash}.
   */
  default TokenStore reopenAfterCrash(TokenStore store) {
    return null;
  }

  /** This test's clock; every store it opens reads it. */
  default MutableClock clock() {
    return Run.of(this).clock;
  }

  /**
   * This test's fault injector: scripted only ({@link FaultInjector#failNext}) unless the test
   * runs on the fault axis, where it is {@link #injectedFaults}. Stores opened through
   * {@link #open()} are behind it ({@link #withFaults}).
   */
  default FaultInjector faults() {
    return Run.of(this).faults;
  }

  /**
   * The fault axis: what a run with faults on injects, drawn from {@code seed} (printed), given
   * how many {@linkplain FaultInjector#WRITES writes} the test made on its run without faults. By
   * default one of those writes fails, picked uniformly, before or after the store applied it;
   * the test ends at the fault, and the validation checks what it left.
   */
  default FaultInjector injectedFaults(long seed, int writes) {
    return FaultInjector.oneOf(seed, writes, FaultInjector.WRITES);
  }

  /**
   * Puts {@link #faults()} in the way of {@code store}: by default in front of the whole store, so
   * a call fails before reaching it or after it applied the call. A store built over another
   * {@link TokenStore} may return {@code store} as it is and put the injector in front of the one
   * it is built on, so that its own handling of a failure is what the contract checks.
   */
  default TokenStore withFaults(TokenStore store) {
    return faults().wrap(store);
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
    Run run = Run.RUNS.get(this);
    if (run == null) {
      return;
    }
    try {
      run.faults.disarm();
      for (AcknowledgedStore store : run.stores) {
        store.validate();
      }
    } finally {
      Run.RUNS.remove(this);
    }
  }

  /** The state of one test: its clock, its fault injector and the stores it opened. */
  final class Run {
    private static final Map<StoreHarness, Run> RUNS =
        Collections.synchronizedMap(new IdentityHashMap<>());

    private final MutableClock clock = new MutableClock(T0);
    private final List<AcknowledgedStore> stores = Collections.synchronizedList(new ArrayList<>());
    private volatile FaultInjector faults = FaultInjector.scripted();

    /** Puts this test on the fault axis: {@code faults} replaces the scripted-only injector. */
    static void inject(StoreHarness harness, FaultInjector faults) {
      of(harness).faults = faults;
    }

    private static Run of(StoreHarness harness) {
      return RUNS.computeIfAbsent(harness, h -> new Run());
    }
  }
}
