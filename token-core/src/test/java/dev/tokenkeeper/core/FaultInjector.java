package dev.tokenkeeper.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Makes chosen store calls fail with the typed failure, {@link StoreUnavailableException}, as a
 * dropped connection or a failed fsync does, at one of two moments: {@link When#BEFORE} the call
 * reaches the store (nothing was applied) or {@link When#AFTER} the store applied it (applied,
 * but the caller hears only the failure). It works on any store: {@link #wrap} puts it in front
 * of one, each SPI call a named {@link Step}.
 *
 * <p>Faults are scripted ({@link #failNext}: the next call of a step fails) or, for a store
 * contract's fault axis, planned: drawn from a seed ({@link #oneOf}; whoever picks the seed prints
 * it, and a single-threaded test replays exactly from it) or fixed ({@link #always}).
 * {@link #injected(Throwable)} tells a fault this injector threw from every other failure, so a
 * test can tolerate the one and not the rest.
 *
 * <p>Thread-safe. Published in token-core's test-jar.
 */
public final class FaultInjector {

  /** A call of the {@link TokenStore} SPI, by name. {@code close} is never failed. */
  public enum Step {
    CREATE, FIND, FIND_SESSION, FIND_SESSIONS, ROTATE, REVOKE_SESSION, REVOKE_ALL, TOUCH, PURGE
  }

  /** The calls that change what is stored and acknowledge it (touch is lazy by contract). */
  public static final Set<Step> WRITES = Collections.unmodifiableSet(EnumSet.of(
      Step.CREATE, Step.ROTATE, Step.REVOKE_SESSION, Step.REVOKE_ALL, Step.PURGE));

  /** When a failed call fails, relative to the store applying it. */
  public enum When {
    /** Before the call reaches the store: nothing was applied. */
    BEFORE,
    /** After the store applied the call, before the caller hears so. */
    AFTER
  }

  /** A fault as it was thrown. */
  public record Fault(Step step, When when) {}

  private final Set<Step> steps;
  /** When the n-th call of {@link #steps} (1 is the first) fails, or null. */
  private final IntFunction<When> plan;
  private final AtomicInteger counted = new AtomicInteger();
  private final Map<Step, AtomicInteger> calls = new EnumMap<>(Step.class);
  private final Map<Step, ConcurrentLinkedQueue<When>> scripted = new ConcurrentHashMap<>();
  private final List<Fault> thrown = Collections.synchronizedList(new ArrayList<>());
  private final Set<Throwable> failures =
      Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
  private volatile boolean armed = true;

  private FaultInjector(Set<Step> steps, IntFunction<When> plan) {
    this.steps = Set.copyOf(steps);
    this.plan = plan;
    for (Step step : Step.values()) {
      calls.put(step, new AtomicInteger());
    }
  }

  /** An injector that fails only what {@link #failNext} asks for. */
  public static FaultInjector scripted() {
    return new FaultInjector(Set.of(), n -> null);
  }

  /**
   * An injector that fails exactly one of the first {@code count} calls of {@code steps}, picked
   * uniformly, before or after the store applies it with even odds, drawn from {@code seed}
   * (print it); none if {@code count} is 0. Scripted faults come first.
   *
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public static FaultInjector oneOf(long seed, int count, Set<Step> steps) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative: " + count);
    }
    Random random = new Random(seed);
    int target = count == 0 ? 0 : 1 + random.nextInt(count);
    When when = random.nextBoolean() ? When.BEFORE : When.AFTER;
    return new FaultInjector(steps, n -> n == target ? when : null);
  }

  /** An injector that fails every call of {@code steps}, {@code when}. */
  public static FaultInjector always(When when, Set<Step> steps) {
    Objects.requireNonNull(when, "when");
    return new FaultInjector(steps, n -> when);
  }

  /** Makes the next call of {@code step} fail {@code when}; several queue up in order. */
  public void failNext(Step step, When when) {
    scripted.computeIfAbsent(step, s -> new ConcurrentLinkedQueue<>()).add(when);
  }

  /** No fault from now on, scripted or drawn: the harness's validation reads the truth. */
  public void disarm() {
    armed = false;
  }

  /** How many calls of {@code steps} have passed this injector while it was armed. */
  public int calls(Set<Step> steps) {
    return steps.stream().mapToInt(step -> calls.get(step).get()).sum();
  }

  /** Every fault thrown so far, in order. */
  public List<Fault> injected() {
    synchronized (thrown) {
      return List.copyOf(thrown);
    }
  }

  /**
   * Whether {@code failure} is a fault this injector threw, or a {@link StoreUnavailableException}
   * caused by one (a store built over another may translate it). Anything else is a real failure.
   */
  public boolean injected(Throwable failure) {
    if (!(failure instanceof StoreUnavailableException)) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (failures.contains(t)) {
        return true;
      }
    }
    return false;
  }

  /** {@code store}, with this injector in front of every call. */
  public TokenStore wrap(TokenStore store) {
    return new Faulty(store);
  }

  private When draw(Step step) {
    if (!armed) {
      return null;
    }
    calls.get(step).incrementAndGet();
    ConcurrentLinkedQueue<When> queue = scripted.get(step);
    When next = queue == null ? null : queue.poll();
    if (next != null || !steps.contains(step)) {
      return next;
    }
    return plan.apply(counted.incrementAndGet());
  }

  private <T> T call(Step step, Supplier<T> call) {
    When when = draw(step);
    if (when == When.BEFORE) {
      throw fault(step, when);
    }
    T result = call.get();
    if (when == When.AFTER) {
      throw fault(step, when);
    }
    return result;
  }

  private StoreUnavailableException fault(Step step, When when) {
    StoreUnavailableException fault = new StoreUnavailableException("injected fault: "
        + step.name().toLowerCase() + (when == When.BEFORE ? " failed before reaching the store"
            : " failed after the store applied it"));
    thrown.add(new Fault(step, when));
    failures.add(fault);
    return fault;
  }

  /** A store behind this injector. */
  private final class Faulty extends SteppedStore {

    Faulty(TokenStore delegate) {
      super(delegate);
    }

    @Override
    protected <T> T around(Step step, Supplier<T> call) {
      return FaultInjector.this.call(step, call);
    }
  }
}
