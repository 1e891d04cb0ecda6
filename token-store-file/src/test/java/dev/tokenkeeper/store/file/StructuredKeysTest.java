package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Keys a caller can choose without knowing any seed: consecutive numbers in one half of a
 * session id or of a digest's word. A hash that is only pairwise independent, as a sum of the
 * halves times multipliers is, places such keys in step with each other: under some seeds in
 * one in a hundred the steps of a linear probe for them grow with the number of keys, and the
 * whole table can become one run. Each seed here is drawn from a seed that is printed.
 */
class StructuredKeysTest {

  private static final int KEYS = 20_000;
  private static final int SEEDS = 1_000;
  /** Random keys in a table at two thirds' load average under two steps a key under any seed. */
  private static final double MOST_STEPS_PER_KEY = 4;

  @Test
  void consecutiveSessionIdsInTheLowHalf_takeFewStepsUnderEverySeed() {
    assertFewSteps("ids whose low word counts up", keys -> i -> keys.id(0, i));
  }

  @Test
  void consecutiveSessionIdsInTheHighWord_takeFewStepsUnderEverySeed() {
    assertFewSteps("ids whose high word's top half counts up",
        keys -> i -> keys.id((long) i << 32, 7));
  }

  @Test
  void digestsCountingUpInOneWord_takeFewStepsUnderEverySeed() {
    assertFewSteps("digests whose third word counts up",
        keys -> i -> keys.digest(1, 2, i, 3));
  }

  private static void assertFewSteps(String what, Function<KeyHash, IntUnaryOperator> placedBy) {
    long seed = Long.getLong("tokenkeeper.test.seed", 0x5EED_0012L);
    System.out.println("StructuredKeysTest " + what + ": seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    double worst = 0;
    long worstSeed = 0;
    for (int s = 0; s < SEEDS; s++) {
      long tableSeed = random.nextLong();
      IntUnaryOperator hash = placedBy.apply(KeyHash.of(tableSeed));
      double steps = stepsPerKey(hash);
      if (steps > worst) {
        worst = steps;
        worstSeed = tableSeed;
      }
    }
    assertTrue(worst <= MOST_STEPS_PER_KEY, what + " took " + worst
        + " steps a key in a tight table under table seed " + worstSeed);
  }

  /** The average steps of a linear probe inserting each key, in a table as open builds one. */
  private static double stepsPerKey(IntUnaryOperator hash) {
    SlotTable table = SlotTable.tight(KEYS, null);
    long steps = 0;
    for (int i = 0; i < KEYS; i++) {
      int h = hash.applyAsInt(i);
      int at = SlotTable.start(table.cells, h);
      while (table.cells.get(at) != SlotTable.EMPTY) {
        at = SlotTable.next(table.cells, at);
        steps++;
      }
      table.addAt(at, h, i);
    }
    return (double) steps / KEYS;
  }
}
