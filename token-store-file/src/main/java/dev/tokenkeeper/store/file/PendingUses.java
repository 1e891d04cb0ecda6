package dev.tokenkeeper.store.file;

/**
 * The uses an open's replay read from the log for plain sessions whose slots are a snapshot's
 * mapped pages, kept beside the slots rather than written into them ({@link CompactLiveIndex}).
 * Writing a mapped page copies it first, and on a small virtual machine each copy costs tens of
 * microseconds: a log's tail of a hundred thousand uses wrote nearly every page of a million
 * sessions' slots and doubled the open. Every reader of a slot's last use and expiry takes the
 * greater of the slot's and the one kept here, and the index writes these into the slots once it
 * serves, off the open's path.
 *
 * <p>A slot plus one keys each entry, in an open-addressing table whose arrays are replaced
 * whole when it grows, so a lookup reading without the index's lock sees one table or the other;
 * the index's sequence lock says whether what it read holds. Written under the index's monitor.
 */
final class PendingUses {

  /** Arrays read together: {@code slots[i]} is a slot plus one, 0 for none. */
  private record Table(int[] slots, long[] used, long[] expires) {}

  private volatile Table table = table(1024);
  private int size;

  private static Table table(int capacity) {
    return new Table(new int[capacity], new long[capacity], new long[capacity]);
  }

  /** Keeps a use of {@code slot}, each instant the later of this and any kept before. */
  void add(int slot, long used, long expires) {
    Table t = table;
    int at = find(t, slot);
    if (at >= 0) {
      t.used[at] = Math.max(t.used[at], used);
      t.expires[at] = Math.max(t.expires[at], expires);
      return;
    }
    if ((size + 1) * 4L > t.slots.length * 3L) {
      t = grown(t);
    }
    at = home(slot, t.slots.length);
    while (t.slots[at] != 0) {
      at = (at + 1) & (t.slots.length - 1);
    }
    t.used[at] = used;
    t.expires[at] = expires;
    t.slots[at] = slot + 1;
    size++;
  }

  /**
   * Forgets the uses kept for {@code slot}, which a session leaves: the next session in the slot
   * has uses of its own.
   */
  void drop(int slot) {
    Table t = table;
    int at = find(t, slot);
    if (at >= 0) {
      t.used[at] = Long.MIN_VALUE;
      t.expires[at] = Long.MIN_VALUE;
    }
  }

  /** {@code slot}'s last use: the later of {@code inSlot} and the one kept here. */
  long used(int slot, long inSlot) {
    Table t = table;
    int at = find(t, slot);
    return at < 0 ? inSlot : Math.max(inSlot, t.used[at]);
  }

  /** {@code slot}'s expiry: the later of {@code inSlot} and the one kept here. */
  long expires(int slot, long inSlot) {
    Table t = table;
    int at = find(t, slot);
    return at < 0 ? inSlot : Math.max(inSlot, t.expires[at]);
  }

  /** The slots with uses kept, in no order. */
  int[] slots() {
    Table t = table;
    int[] held = new int[size];
    int count = 0;
    for (int key : t.slots) {
      if (key != 0) {
        held[count++] = key - 1;
      }
    }
    return held;
  }

  int size() {
    return size;
  }

  private static int find(Table t, int slot) {
    int mask = t.slots.length - 1;
    for (int at = home(slot, t.slots.length), probes = 0; probes <= mask;
        at = (at + 1) & mask, probes++) {
      int key = t.slots[at];
      if (key == slot + 1) {
        return at;
      }
      if (key == 0) {
        return -1;
      }
    }
    return -1;
  }

  /** Slots are dense small numbers: a multiplication spreads neighbours over the table. */
  private static int home(int slot, int capacity) {
    return (slot * 0x9E3779B9) >>> (Integer.SIZE - Integer.numberOfTrailingZeros(capacity));
  }

  private Table grown(Table old) {
    Table t = table(old.slots.length * 2);
    int mask = t.slots.length - 1;
    for (int i = 0; i < old.slots.length; i++) {
      int key = old.slots[i];
      if (key != 0) {
        int at = home(key - 1, t.slots.length);
        while (t.slots[at] != 0) {
          at = (at + 1) & mask;
        }
        t.slots[at] = key;
        t.used[at] = old.used[i];
        t.expires[at] = old.expires[i];
      }
    }
    table = t;
    return t;
  }
}
