package dev.tokenkeeper.store.file;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.IntBuffer;
import java.util.BitSet;

/**
 * An open-addressing hash table of {@code int} slot numbers, linear probing, for
 * {@link CompactLiveIndex}: the table holds no keys, only where each record lives, so the caller
 * probes with its key's hash and confirms each candidate on the record's full key. Each cell also
 * keeps four bits of its key's hash, so a probe reads a record (a cache miss among millions) for
 * one cell in sixteen it passes rather than for every one. Removal leaves
 * a tombstone; the owner rebuilds the table from its records when it has no {@linkplain #hasRoomFor room}. Not
 * thread-safe: written under the index's lock, read optimistically.
 */
final class SlotTable {

  static final int EMPTY = 0;
  static final int REMOVED = -1;
  private static final int SLOT_BITS = 27;
  private static final int SLOT_MASK = (1 << SLOT_BITS) - 1;
  private static final int TAG_MASK = 0xF;
  /** The most slots a table can name: a cell holds a slot plus one in 27 bits. */
  static final int MAX_SLOTS = SLOT_MASK - 1;

  /** On the heap, or mapped from a snapshot's image ({@link #restore}). */
  final IntBuffer cells;
  /**
   * The hash its keys are placed by, for a table of digests or session ids; null for a table
   * whose owner keys its own hash (the text pool's).
   */
  final KeyHash keys;
  /**
   * Beside each cell, a value its owner keeps for the slot the cell names, 0 for none yet; null
   * until the owner {@linkplain #startPayload starts} one. Read with the cell, it can name what a
   * lookup needs next, so that fetching that overlaps fetching the slot instead of following it.
   */
  private volatile int[] payload;

  /** Made on first use, so opening an image, which sets no payload, does not make them. */
  private static final class Payloads {
    static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(int[].class);
    static final VarHandle FIELD;

    static {
      try {
        FIELD = MethodHandles.lookup().findVarHandle(SlotTable.class, "payload", int[].class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }
  private int used;
  private boolean wellSpread;
  private int named;
  private int stray = -1;

  private SlotTable(int capacity, KeyHash keys) {
    cells = IntBuffer.wrap(new int[Math.max(16, capacity)]);
    this.keys = keys;
  }

  private SlotTable(IntBuffer cells, int used, KeyHash keys) {
    this.cells = cells;
    this.used = used;
    this.keys = keys;
  }

  /**
   * The longest run of cells without an empty one that a table from an image is kept with: a
   * probe for a key not held walks one. At three quarters' load with keys as random as digests
   * and session ids, a run a tenth as long is already less likely than one in 10^15.
   */
  static final int MAX_RUN = 4096;

  /**
   * A table over {@code cells} as an image holds them, read in one pass that counts the cells
   * naming a slot ({@link #named}), notes the first that names one not in {@code allowed} or
   * one named before ({@link #stray}), marking each in {@code seen}, and notes whether the table
   * is {@linkplain #isWellSpread well spread}.
   *
   * @throws IllegalArgumentException if a cell is neither empty, removed nor a slot, or no cell is
   *     empty (a probe for a key not held would never end)
   */
  static SlotTable restore(IntBuffer cells, BitSet allowed, BitSet seen) {
    return restore(cells, allowed, seen, null);
  }

  /** {@link #restore(IntBuffer, BitSet, BitSet)}, for a table whose keys {@code keys} placed. */
  static SlotTable restore(IntBuffer cells, BitSet allowed, BitSet seen, KeyHash keys) {
    int length = cells.limit();
    // The run before the first empty cell goes on from the run at the end.
    int firstRun = 0;
    while (firstRun < length && cells.get(firstRun) != EMPTY) {
      firstRun++;
    }
    if (firstRun == length) {
      throw new IllegalArgumentException("a table of " + length + " cells has none empty");
    }
    CellScan scan = new CellScan();
    for (int from = 0; from < length; ) {
      // Up to length, never past it: a step past it could overflow for a length near the limit.
      int to = from + Math.min(SCAN_BLOCK, length - from);
      scan.block(cells, from, to, allowed, seen);
      from = to;
    }
    int longestRun = Math.max(scan.longestRun, scan.run + firstRun);
    SlotTable table = new SlotTable(cells, scan.used, keys);
    table.named = scan.named;
    table.stray = scan.stray;
    table.wellSpread = scan.used < length - length / 4 && longestRun <= MAX_RUN;
    return table;
  }

  /**
   * Cells a call of {@link CellScan#block} reads. Few enough that a fresh JVM compiles that method
   * after some thousands of cells, where one loop over a million cells runs tens of thousands in
   * the interpreter before it is compiled.
   */
  private static final int SCAN_BLOCK = 64;

  /** What {@link #restore} counts as it passes over the cells, a block at a time. */
  private static final class CellScan {
    int used;
    int named;
    int stray = -1;
    int run;
    int longestRun;

    void block(IntBuffer cells, int from, int to, BitSet allowed, BitSet seen) {
      for (int at = from; at < to; at++) {
        int cell = cells.get(at);
        if (cell == EMPTY) {
          run = 0;
          continue;
        }
        if (cell < 0 && cell != REMOVED) {
          throw new IllegalArgumentException("a table cell holds " + cell);
        }
        used++;
        longestRun = Math.max(longestRun, ++run);
        if (cell != REMOVED) {
          int slot = slotIn(cell);
          if (slot < 0) {
            // A hash's tag and no slot: no table writes such a cell.
            throw new IllegalArgumentException("a table cell holds " + cell);
          }
          named++;
          if (stray < 0 && (!allowed.get(slot) || seen.get(slot))) {
            stray = slot;
          }
          seen.set(slot);
        }
      }
    }
  }

  /** How many cells name a slot, as {@link #restore} read them. */
  int named() {
    return named;
  }

  /** The first slot a cell names that {@link #restore} was not to allow, or -1. */
  int stray() {
    return stray;
  }

  /**
   * Whether this table, as {@link #restore} read it, is no fuller than {@link #hasRoomFor} lets
   * one grow and holds no run of cells without an empty one longer than {@link #MAX_RUN}: else
   * its owner builds it anew.
   */
  boolean isWellSpread() {
    return wellSpread;
  }

  /**
   * This table with its cells held in {@code heapCells}, a whole copy of them, for an owner that
   * serves a table {@linkplain #restore restored} from mapped pages from the heap instead. The
   * new table shares this one's payload; the owner stops using this one, under its lock.
   */
  SlotTable servedFrom(int[] heapCells) {
    if (heapCells.length != cells.limit()) {
      throw new IllegalArgumentException(
          heapCells.length + " cells for a table of " + cells.limit());
    }
    SlotTable copy = new SlotTable(IntBuffer.wrap(heapCells), used, keys);
    copy.payload = payload;
    copy.wellSpread = wellSpread;
    copy.named = named;
    copy.stray = stray;
    return copy;
  }

  /** The payload beside the cells, or null if none is kept (yet). */
  int[] payload() {
    return payload;
  }

  /**
   * Keeps a payload from now on, 0 beside every cell, if none is kept yet. Safe without the
   * owner's lock: of racing calls one payload wins, and 0 must be a value that is never wrong.
   */
  void startPayload() {
    if (payload == null) {
      Payloads.FIELD.compareAndSet(this, null, new int[cells.limit()]);
    }
  }

  /**
   * Sets the payload beside cell {@code at}, if one is kept. Its owner sets it under its lock,
   * while readers may {@linkplain #learn learn} one without it: both as single atomic writes.
   */
  void carry(int at, int value) {
    int[] values = payload;
    if (values != null) {
      Payloads.ELEMENT.setVolatile(values, at, value);
    }
  }

  /**
   * Sets the payload beside cell {@code at} of {@code values} to {@code value} if it is still 0:
   * for a reader that worked out the value without the owner's lock and checked, after, that
   * nothing changed meanwhile. A change since sets the payload of every cell it touches to a value
   * not 0, so this then sets nothing.
   */
  static void learn(int[] values, int at, int value) {
    Payloads.ELEMENT.compareAndSet(values, at, 0, value);
  }

  /** A table for {@code expected} entries at a load of one half, with room to grow. */
  static SlotTable growing(int expected) {
    return growing(expected, null);
  }

  /** {@link #growing(int)}, its keys placed by {@code keys}. */
  static SlotTable growing(int expected, KeyHash keys) {
    return new SlotTable(expected * 2, keys);
  }

  /** A table for {@code expected} entries at a load of two thirds, for a set about done growing. */
  static SlotTable tight(int expected) {
    return tight(expected, null);
  }

  /** {@link #tight(int)}, its keys placed by {@code keys}. */
  static SlotTable tight(int expected, KeyHash keys) {
    return new SlotTable(expected + expected / 2, keys);
  }

  /** An empty table as large as this one, its keys placed by {@code keys}. */
  SlotTable emptyLike(KeyHash keys) {
    return new SlotTable(cells.limit(), keys);
  }

  /** Whether this table is much larger than {@link #tight} would make it for {@code entries}. */
  boolean isLooseFor(int entries) {
    return cells.limit() > 16 && cells.limit() > (long) entries * 7 / 4;
  }

  /** Where the probe for {@code hash} starts (the hash's 32 bits scaled to the table). */
  static int start(IntBuffer cells, int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * cells.limit()) >>> 32);
  }

  /**
   * The cell after {@code at}, the first after the last. Without a branch: a probe wraps so
   * rarely that the JIT would compile the branch away, and a probe that then wraps would send
   * every loop that inlined this back to the interpreter to be compiled anew.
   */
  static int next(IntBuffer cells, int at) {
    int next = at + 1;
    int limit = cells.limit();
    return next - (limit & ((limit - 1 - next) >> 31));
  }

  /** The slot in a cell, or -1 for an empty or removed cell. */
  static int slotAt(IntBuffer cells, int at) {
    return slotIn(cells.get(at));
  }

  /** The slot {@code cell} holds, or -1 if it is empty or removed. */
  static int slotIn(int cell) {
    return cell > 0 ? (cell & SLOT_MASK) - 1 : -1;
  }

  /** The slot in a cell if its key's hash may be {@code hash} (its four bits agree), else -1. */
  static int candidate(IntBuffer cells, int at, int hash) {
    int cell = cells.get(at);
    return cell > 0 && cell >>> SLOT_BITS == (hash & TAG_MASK) ? (cell & SLOT_MASK) - 1 : -1;
  }

  /**
   * Adds {@code slot} under {@code hash}; the caller has checked that its key is not held and
   * that the table {@linkplain #hasRoomFor has room}.
   */
  void add(int hash, int slot) {
    add(hash, slot, 0);
  }

  /** Adds {@code slot} as {@link #add(int, int)} does, {@code value} its payload. */
  void add(int hash, int slot, int value) {
    if (slot < 0 || slot >= MAX_SLOTS) {
      throw new IllegalStateException("a slot table names at most " + MAX_SLOTS + " slots");
    }
    int at = start(cells, hash);
    int cell = cells.get(at);
    for (int probes = 0; cell != EMPTY && cell != REMOVED; probes++) {
      if (probes == cells.limit()) {
        throw new IllegalStateException("slot table is full");
      }
      at = next(cells, at);
      cell = cells.get(at);
    }
    if (cell == EMPTY) {
      used++;
    }
    cells.put(at, cellFor(hash, slot));
    carry(at, value);
  }

  /**
   * Puts {@code slot} under {@code hash} in cell {@code at}, an empty or removed cell the caller's
   * probe for {@code hash} found before any cell holding the same key.
   */
  void addAt(int at, int hash, int slot) {
    addAt(at, hash, slot, 0);
  }

  /** Puts {@code slot} in cell {@code at} as {@link #addAt(int, int, int)} does, with {@code value}. */
  void addAt(int at, int hash, int slot, int value) {
    if (slot < 0 || slot >= MAX_SLOTS) {
      throw new IllegalStateException("a slot table names at most " + MAX_SLOTS + " slots");
    }
    if (cells.get(at) == EMPTY) {
      used++;
    }
    cells.put(at, cellFor(hash, slot));
    carry(at, value);
  }

  /** The cell that names {@code slot} under {@code hash}. */
  static int cellFor(int hash, int slot) {
    return (hash & TAG_MASK) << SLOT_BITS | (slot + 1);
  }

  /** Removes the cell at {@code at}, found by the caller's probe. */
  void removeAt(int at) {
    cells.put(at, REMOVED);
  }

  /**
   * Whether {@code more} entries fit while entries and tombstones stay under three quarters of the
   * table; if not, the owner rebuilds it.
   */
  boolean hasRoomFor(int more) {
    return (long) used + more < cells.limit() - cells.limit() / 4;
  }
}
