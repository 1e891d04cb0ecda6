package dev.tokenkeeper.store.file;

/**
 * An open-addressing hash table of {@code int} slot numbers, linear probing, for
 * {@link CompactLiveIndex}: the table holds no keys, only where each record lives, so the caller
 * probes with its key's hash and confirms each candidate on the record's full key. Removal leaves
 * a tombstone; the owner rebuilds the table from its records when it has no {@linkplain #hasRoomFor room}. Not
 * thread-safe: written under the index's lock, read optimistically.
 */
final class SlotTable {

  static final int EMPTY = 0;
  static final int REMOVED = -1;

  final int[] cells;
  private int used;

  /** A table sized for {@code expected} entries at a load of one half. */
  SlotTable(int expected) {
    cells = new int[Math.max(16, expected * 2)];
  }

  /** Where the probe for {@code hash} starts (the hash's 32 bits scaled to the table). */
  static int start(int[] cells, int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * cells.length) >>> 32);
  }

  static int next(int[] cells, int at) {
    return at + 1 == cells.length ? 0 : at + 1;
  }

  /** The entry of a cell: a slot number, or a negative number for an empty or removed cell. */
  static int slotAt(int[] cells, int at) {
    return cells[at] - 1;
  }

  /**
   * Adds {@code slot} under {@code hash}; the caller has checked that its key is not held and
   * that the table {@linkplain #hasRoomFor has room}.
   */
  void add(int hash, int slot) {
    int at = start(cells, hash);
    for (int probes = 0; cells[at] != EMPTY && cells[at] != REMOVED; probes++) {
      if (probes == cells.length) {
        throw new IllegalStateException("slot table is full");
      }
      at = next(cells, at);
    }
    if (cells[at] == EMPTY) {
      used++;
    }
    cells[at] = slot + 1;
  }

  /** Removes the cell at {@code at}, found by the caller's probe. */
  void removeAt(int at) {
    cells[at] = REMOVED;
  }

  /**
   * Whether {@code more} entries fit while entries and tombstones stay under three quarters of the
   * table; if not, the owner rebuilds it.
   */
  boolean hasRoomFor(int more) {
    return (long) used + more < cells.length - cells.length / 4;
  }
}
