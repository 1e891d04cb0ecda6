package dev.tokenkeeper.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What this machine's memory costs the two targets it bounds, measured without the store. A
 * lookup among a million sessions makes two reads at random, each waiting for the one before
 * (the digest table's cell, then the slot it names), so its floor is twice the latency of one
 * such read over a working set of its size. An open's arrays are fresh heap, whose first use
 * costs what the operating system takes to hand out its pages.
 */
final class MemoryMeasure {

  private static final int[] WORKING_SETS_MIB = {1, 4, 8, 16, 64, 256};
  private static final int CHASED = 2_000_000;
  private static final int INTS_PER_LINE = 16;
  private static final int FRESH_MIB = 16;

  private MemoryMeasure() {}

  static void run(PrintStream out) {
    // First, while the heap's pages are still untouched: the chase below touches hundreds of MiB.
    // Both arrays stay reachable while the second is made, so it cannot reuse the first's pages.
    byte[][] kept = new byte[2][];
    double[] millis = new double[kept.length];
    for (int i = 0; i < kept.length; i++) {
      long start = System.nanoTime();
      kept[i] = new byte[FRESH_MIB << 20];
      millis[i] = (System.nanoTime() - start) / 1e6;
    }
    out.println();
    out.printf(Locale.ROOT, "# Memory: a new %d MiB array, the first two on this JVM's heap"
        + " (pages never used before)%n", FRESH_MIB);
    out.printf(Locale.ROOT, "- %.1f ms and %.1f ms: %.2f ms a MiB%n", millis[0], millis[1],
        Math.min(millis[0], millis[1]) / FRESH_MIB);
    out.println();
    out.println("# Memory: one read at random that waits for the one before, by working set");
    out.println("| working set | ns per read, best of 5 |");
    out.println("|---|---|");
    for (int mib : WORKING_SETS_MIB) {
      out.printf(Locale.ROOT, "| %d MiB | %.1f |%n", mib, dependentReadNanos(mib));
    }
  }

  /**
   * Follows a cycle through every cache line of {@code mib} MiB in random order, so that each
   * read's address is the value the read before returned.
   */
  private static double dependentReadNanos(int mib) {
    int lines = (mib << 20) / (Integer.BYTES * INTS_PER_LINE);
    int[] order = new int[lines];
    for (int i = 0; i < lines; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(mib);
    for (int i = lines - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    int[] next = new int[lines * INTS_PER_LINE];
    for (int i = 0; i < lines; i++) {
      next[order[i] * INTS_PER_LINE] = order[(i + 1) % lines] * INTS_PER_LINE;
    }
    int at = chase(next, 0, CHASED);
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      long start = System.nanoTime();
      at = chase(next, at, CHASED);
      best = Math.min(best, System.nanoTime() - start);
    }
    if (at < 0) {
      throw new AssertionError("a cycle of non-negative indices");
    }
    return best / (double) CHASED;
  }

  private static int chase(int[] next, int from, int steps) {
    int at = from;
    for (int i = 0; i < steps; i++) {
      at = next[at];
    }
    return at;
  }
}
