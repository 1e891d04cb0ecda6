package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SlotTable#restore} passes over an image's cells a block at a time; what it finds must
 * not depend on where the blocks end: runs of full cells that cross them, that wrap from the last
 * cell to the first, and strays and repeats in any block.
 */
class SlotTableRestoreTest {

  @Test
  void restore_findsWhatOnePassOverTheCellsFinds() {
    SplittableRandom random = new SplittableRandom(7);
    for (int trial = 0; trial < 3_000; trial++) {
      int length = 1 + random.nextInt(trial % 10 == 0 ? 12_000 : 700);
      int slots = 1 + random.nextInt(400);
      int[] cells = new int[length];
      // Full stretches long and short, so that some runs pass MAX_RUN and some end just short.
      double empty = trial % 10 == 0 ? 0.0002 : random.nextDouble() * 0.5;
      for (int at = 0; at < length; at++) {
        double pick = random.nextDouble();
        cells[at] = pick < empty ? SlotTable.EMPTY
            : pick < empty + 0.05 ? SlotTable.REMOVED
            : SlotTable.cellFor(random.nextInt(), random.nextInt(slots));
      }
      if (random.nextBoolean()) {
        cells[random.nextInt(length)] = SlotTable.EMPTY;
      }
      BitSet allowed = new BitSet();
      for (int slot = 0; slot < slots; slot++) {
        if (random.nextInt(20) != 0) {
          allowed.set(slot);
        }
      }
      assertSameAsOnePass(cells, allowed, "trial " + trial);
    }
  }

  @Test
  void restore_measuresARunAcrossBlocksAndAroundTheEnd() {
    for (int first : new int[] {0, 1, 63, 64, 65, 100}) {
      for (int extra : new int[] {-1, 0, 1}) {
        int run = SlotTable.MAX_RUN + extra;
        int length = 2 * run + 200;
        int[] cells = new int[length];
        // A run of run cells from first on, wrapping past the last cell when it must.
        for (int i = 0; i < run; i++) {
          cells[(length - first - 40 + i) % length] = SlotTable.cellFor(i, i);
        }
        BitSet allowed = new BitSet();
        allowed.set(0, run);
        SlotTable table = SlotTable.restore(IntBuffer.wrap(cells), allowed, new BitSet());
        assertEquals(run <= SlotTable.MAX_RUN, table.isWellSpread(), "run " + run + " at " + first);
        assertSameAsOnePass(cells, allowed, "run " + run + " at " + first);
      }
    }
  }

  @Test
  void restore_refusesABadCellInAnyBlock() {
    for (int at : new int[] {0, 63, 64, 127, 128, 500}) {
      int[] cells = new int[600];
      cells[at] = -2;
      assertThrows(IllegalArgumentException.class,
          () -> SlotTable.restore(IntBuffer.wrap(cells), new BitSet(), new BitSet()));
    }
    int[] full = new int[300];
    Arrays.fill(full, SlotTable.REMOVED);
    assertThrows(IllegalArgumentException.class,
        () -> SlotTable.restore(IntBuffer.wrap(full), new BitSet(), new BitSet()));
  }

  /** Checks restore's findings against one loop over all the cells, as the reference says. */
  private static void assertSameAsOnePass(int[] cells, BitSet allowed, String what) {
    Expected expected = onePass(cells, allowed);
    BitSet seen = new BitSet();
    if (expected.refused) {
      assertThrows(IllegalArgumentException.class,
          () -> SlotTable.restore(IntBuffer.wrap(cells.clone()), allowed, new BitSet()), what);
      return;
    }
    SlotTable table = SlotTable.restore(IntBuffer.wrap(cells.clone()), allowed, seen);
    assertEquals(expected.named, table.named(), what);
    assertEquals(expected.stray, table.stray(), what);
    assertEquals(expected.wellSpread, table.isWellSpread(), what);
    assertEquals(expected.seen, seen, what);
    for (int more : new int[] {0, 1, 10}) {
      assertEquals(expected.used + more < cells.length - cells.length / 4,
          table.hasRoomFor(more), what);
    }
  }

  private record Expected(boolean refused, int used, int named, int stray, boolean wellSpread,
      BitSet seen) {}

  private static Expected onePass(int[] cells, BitSet allowed) {
    int length = cells.length;
    int firstRun = 0;
    while (firstRun < length && cells[firstRun] != SlotTable.EMPTY) {
      firstRun++;
    }
    if (firstRun == length) {
      return new Expected(true, 0, 0, -1, false, null);
    }
    int used = 0;
    int named = 0;
    int stray = -1;
    int run = 0;
    int longestRun = 0;
    BitSet seen = new BitSet();
    for (int cell : cells) {
      if (cell == SlotTable.EMPTY) {
        run = 0;
        continue;
      }
      if (cell < 0 && cell != SlotTable.REMOVED) {
        return new Expected(true, 0, 0, -1, false, null);
      }
      used++;
      longestRun = Math.max(longestRun, ++run);
      if (cell != SlotTable.REMOVED) {
        int slot = SlotTable.slotIn(cell);
        if (slot < 0) {
          return new Expected(true, 0, 0, -1, false, null);
        }
        named++;
        if (stray < 0 && (!allowed.get(slot) || seen.get(slot))) {
          stray = slot;
        }
        seen.set(slot);
      }
    }
    longestRun = Math.max(longestRun, run + firstRun);
    return new Expected(false, used, named, stray,
        used < length - length / 4 && longestRun <= SlotTable.MAX_RUN, seen);
  }
}
