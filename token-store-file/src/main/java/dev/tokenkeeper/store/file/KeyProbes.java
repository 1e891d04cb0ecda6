package dev.tokenkeeper.store.file;

import java.nio.IntBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The probes an image's id and digest tables must pass ({@link ImageCheck}): each plain slot is
 * the first its own session id's probe and its own token's probe confirm, as a lookup would (its
 * key reachable, no slot before it holding the same). A million keys are a million reads at
 * random per table, so the slots are shared out in runs among the threads that call
 * {@link #work}, each claiming the next run as it finishes one.
 *
 * <p>The steps are bounded: once a table's probes have taken {@link #STEPS_PER_KEY} a slot in
 * all, its keys cluster (which keys chosen by a test or a forger can) and its probes stop, for
 * its owner to build it anew, which finds any key held twice. Thread-safe.
 */
final class KeyProbes {

  /** A probe's average length far beyond any a table at three quarters' load comes near. */
  static final int STEPS_PER_KEY = 32;

  /** Slots a thread claims at a time: enough that claiming costs nothing beside probing. */
  private static final int RUN = 8192;
  /** Slots read at a time: some 5.5 KiB, well within the first cache. */
  private static final int BLOCK = 64;

  private final SlotArena slots;
  private final int slotLimit;
  private final IntBuffer ids;
  private final IntBuffer digests;
  private final KeyHash idKeys;
  private final KeyHash digestKeys;
  private final long budget;
  private final AtomicInteger nextRun = new AtomicInteger();
  private final AtomicLong idSteps = new AtomicLong();
  private final AtomicLong digestSteps = new AtomicLong();
  private final AtomicReference<IllegalArgumentException> failure = new AtomicReference<>();

  /** Probes {@code ids} under {@code idKeys} and {@code digests} under {@code digestKeys}. */
  KeyProbes(SlotArena slots, int slotLimit, IntBuffer ids, KeyHash idKeys, IntBuffer digests,
      KeyHash digestKeys) {
    this.slots = slots;
    this.slotLimit = slotLimit;
    this.ids = ids;
    this.digests = digests;
    this.idKeys = idKeys;
    this.digestKeys = digestKeys;
    this.budget = STEPS_PER_KEY * (long) slotLimit;
    if (ids.limit() == 0 || digests.limit() == 0) {
      // A table with no cell is refused by its own check; nothing to probe.
      nextRun.set(slotLimit);
      idSteps.set(budget + 1);
      digestSteps.set(budget + 1);
    }
  }

  /**
   * Probes runs of slots until none is left, a probe fails, both tables' steps are spent, or
   * {@code stop} is set. The slots' states are read here, so this may run before the plain
   * slots are known.
   */
  void work(AtomicBoolean stop) {
    long[] block = new long[BLOCK * SlotArena.SLOT_LONGS];
    Batch batch = new Batch();
    while (failure.get() == null && !stop.get()
        && (idSteps.get() <= budget || digestSteps.get() <= budget)) {
      int first = nextRun.getAndAdd(RUN);
      if (first >= slotLimit || first < 0) {
        return;
      }
      try {
        probeRun(first, Math.min(slotLimit, first + RUN), block, batch);
      } catch (IllegalArgumentException e) {
        failure.compareAndSet(null, e);
      }
    }
  }

  private void probeRun(int first, int end, long[] block, Batch batch) {
    for (int at = first; at < end; at += BLOCK) {
      int count = Math.min(BLOCK, end - at);
      slots.read(at, count, block);
      batch.take(block, at, count);
      if (idSteps.get() <= budget) {
        idSteps.addAndGet(batch.stepsIn(ids, CompactLiveIndex.ID_HIGH, batch.idHashes,
            budget - idSteps.get()));
      }
      if (digestSteps.get() <= budget) {
        digestSteps.addAndGet(batch.stepsIn(digests, CompactLiveIndex.DIGEST,
            batch.digestHashes, budget - digestSteps.get()));
      }
    }
  }

  /** What a probe found wrong, once every thread's {@link #work} has returned; else null. */
  IllegalArgumentException failure() {
    return failure.get();
  }

  /** Whether each slot's session id was found first within the steps allowed. */
  boolean idsFound() {
    return failure.get() == null && idSteps.get() <= budget && nextRun.get() >= slotLimit;
  }

  /** Whether each slot's token was found first within the steps allowed. */
  boolean digestsFound() {
    return failure.get() == null && digestSteps.get() <= budget && nextRun.get() >= slotLimit;
  }

  /** The plain slots of a block and their keys' hashes, probed for table by table. */
  private final class Batch {
    final int[] slotsTaken = new int[BLOCK];
    final int[] idHashes = new int[BLOCK];
    final int[] digestHashes = new int[BLOCK];
    final int[] firstCells = new int[BLOCK];
    int count;

    void take(long[] block, int first, int blockSlots) {
      count = 0;
      for (int i = 0; i < blockSlots; i++) {
        int base = i * SlotArena.SLOT_LONGS;
        if ((int) block[base + CompactLiveIndex.LINKS] == CompactLiveIndex.PLAIN) {
          slotsTaken[count] = first + i;
          idHashes[count] = idKeys.id(block[base + CompactLiveIndex.ID_HIGH],
              block[base + CompactLiveIndex.ID_HIGH + 1]);
          int digest = base + CompactLiveIndex.DIGEST;
          digestHashes[count++] = digestKeys.digest(block[digest], block[digest + 1],
              block[digest + 2], block[digest + 3]);
        }
      }
    }

    /**
     * The steps of the probes in {@code cells} for the slots taken, under {@code hashes}. A
     * method of its own, so a fresh JVM compiles it after a few hundred blocks rather than after
     * tens of thousands of interpreted iterations of the loop around it.
     */
    long stepsIn(IntBuffer cells, int field, int[] hashes, long stepsLeft) {
      // The first cells, read in a loop of their own: the reads do not depend on each other, so
      // their cache misses overlap instead of following one another.
      for (int i = 0; i < count; i++) {
        firstCells[i] = cells.get(SlotTable.start(cells, hashes[i]));
      }
      long steps = 0;
      for (int i = 0; i < count; i++) {
        steps += firstCells[i] == SlotTable.cellFor(hashes[i], slotsTaken[i])
            ? 1 : probe(cells, slotsTaken[i], hashes[i], field, stepsLeft - steps);
      }
      return steps;
    }
  }

  /**
   * The steps of the probe for {@code slot}'s key at {@code field}, under its {@code hash}, which
   * must find it first, or more than {@code stepsLeft} once it has taken that many.
   */
  private long probe(IntBuffer cells, int slot, int hash, int field, long stepsLeft) {
    boolean id = field == CompactLiveIndex.ID_HIGH;
    int at = SlotTable.start(cells, hash);
    for (long steps = 1; steps <= cells.limit(); steps++) {
      int found = SlotTable.candidate(cells, at, hash);
      if (found == slot) {
        return steps;
      }
      if (cells.get(at) == SlotTable.EMPTY) {
        break;
      }
      if (found >= slotLimit) {
        throw new IllegalArgumentException("a table cell names slot " + found + " of "
            + slotLimit);
      }
      if (found >= 0 && sameKey(slots, found, slot, field)) {
        throw duplicate(found, slot, id);
      }
      if (steps > stepsLeft) {
        return steps;
      }
      at = SlotTable.next(cells, at);
    }
    throw new IllegalArgumentException("slot " + slot + " cannot be found by its "
        + (id ? "session id" : "token"));
  }

  /** Whether slots {@code one} and {@code other} hold the same key at {@code field}. */
  static boolean sameKey(SlotArena slots, int one, int other, int field) {
    int words = field == CompactLiveIndex.ID_HIGH ? 2 : 4;
    for (int word = 0; word < words; word++) {
      if (slots.get(one, field + word) != slots.get(other, field + word)) {
        return false;
      }
    }
    return true;
  }

  static IllegalArgumentException duplicate(int one, int other, boolean id) {
    return new IllegalArgumentException("slots " + one + " and " + other + " hold the same "
        + (id ? "session id" : "token"));
  }
}
