package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Session;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.BitSet;
import java.util.concurrent.FutureTask;

/**
 * Checks that an {@link IndexImage}'s parts hold together before an index is made from them:
 * every slot free or a plain session with possible instants and held texts, the free list
 * exactly the free slots, every cell empty, removed or naming a plain slot, each text as a
 * session allows it, and each slot the first its own id's and token's probes confirm (each text
 * likewise in the text table), so every key is reachable and none is held twice. Each subject's
 * list must hold exactly its slots, ascending, or the lists are rebuilt from the slots. Passes
 * over the slots go in order; the probes, a read at random per key, run on a thread of their
 * own. Not thread-safe; used once.
 */
final class ImageCheck {

  private final SlotArena slots;
  private final int slotLimit;
  private final BitSet plain;
  private int plainCount;
  /** The subjects' list heads as the image holds them, or as rebuilt. */
  private int[] heads;
  /**
   * By subject text id, the slot plus one its list must enter next: 0 before its first slot,
   * {@link #ENDED} past its last. Null once a list is found out of order.
   */
  private int[] expected;
  private static final int ENDED = -1;

  ImageCheck(SlotArena slots, int slotLimit) {
    this.slots = slots;
    this.slotLimit = slotLimit;
    this.plain = new BitSet(slotLimit);
  }

  /**
   * The parts of an index, once they pass.
   *
   * @throws IllegalArgumentException naming the first thing that does not hold together
   */
  IndexImage.Parts check(int[] freeSlots, IntBuffer digestCells, IntBuffer idCells,
      int[] subjectHeads, TextPool.Parts textParts) {
    TextPool texts = TextPool.restore(textParts);
    BitSet subjects = new BitSet();
    BitSet labels = new BitSet();
    heads = subjectHeads;
    expected = new int[texts.idLimit()];
    checkSlots(texts, subjects, labels);
    if (!listsEnded()) {
      rebuildLists(texts);
    }
    SlotTable digests = table(digestCells, "digest");
    SlotTable ids = table(idCells, "id");
    // A probe for each key reads a million cells at random: on a thread of its own, beside the
    // checks that follow. Both only read the slots and tables.
    FutureTask<SlotTable[]> tables = new FutureTask<>(() -> checkedTables(ids, digests));
    StoreThreads.daemon("tokenkeeper-image-check").newThread(tables).start();
    checkFreeList(freeSlots);
    for (int id = subjects.nextSetBit(0); id >= 0; id = subjects.nextSetBit(id + 1)) {
      checkText(texts, id, true);
    }
    for (int id = labels.nextSetBit(0); id >= 0; id = labels.nextSetBit(id + 1)) {
      checkText(texts, id, false);
    }
    texts.checkTable();
    SlotTable[] checked = StoreThreads.await(tables, IllegalArgumentException.class);
    return new IndexImage.Parts(slots, slotLimit, freeSlots, checked[1], checked[0], heads,
        texts, plainCount);
  }

  /** The id and digest tables, as they are if each key's probe finds its slot, else anew. */
  private SlotTable[] checkedTables(SlotTable ids, SlotTable digests) {
    if (ids.isWellSpread() && digests.isWellSpread() && probesFindEachSlot(ids, digests)) {
      return new SlotTable[] {ids, digests};
    }
    return new SlotTable[] {rebuilt(CompactLiveIndex.ID_HIGH), rebuilt(CompactLiveIndex.DIGEST)};
  }

  /**
   * Checks text {@code id} by the rules of {@link Session} for a subject or a label. Printable
   * ASCII is decided on its bytes, as those rules decide it (a subject must not be all spaces);
   * anything else is decoded strictly and checked by {@link Session} itself.
   *
   * @throws IllegalArgumentException if a session may not have it
   */
  static void checkText(TextPool texts, int id, boolean subject) {
    int ascii = texts.printableAscii(id, Session.MAX_TEXT_LENGTH);
    if (ascii == TextPool.PRINTABLE || (ascii == TextPool.SPACES && !subject)) {
      return;
    }
    String text = texts.strictText(id);
    if (subject) {
      CompactLiveIndex.checkSubject(text);
    } else {
      CompactLiveIndex.checkLabel(text);
    }
  }

  private void checkSlots(TextPool texts, BitSet subjects, BitSet labels) {
    for (int slot = 0; slot < slotLimit; slot++) {
      ByteBuffer chunk = slots.chunkOf(slot);
      int base = SlotArena.at(slot, 0);
      long links = chunk.getLong(base + CompactLiveIndex.LINKS * Long.BYTES);
      int state = (int) links;
      if (state == CompactLiveIndex.FREE) {
        if (links != CompactLiveIndex.pack(0, CompactLiveIndex.FREE)) {
          throw new IllegalArgumentException("free slot " + slot + " links on");
        }
        continue;
      }
      if (state != CompactLiveIndex.PLAIN) {
        throw new IllegalArgumentException("slot " + slot + " of an image is not plain");
      }
      if (!CompactLiveIndex.possibleInstants(
          chunk.getLong(base + CompactLiveIndex.CREATED * Long.BYTES),
          chunk.getLong(base + CompactLiveIndex.LAST_USED * Long.BYTES),
          chunk.getLong(base + CompactLiveIndex.EXPIRES * Long.BYTES))) {
        throw new IllegalArgumentException("slot " + slot + " has impossible instants");
      }
      long ids = chunk.getLong(base + CompactLiveIndex.TEXTS * Long.BYTES);
      int subject = (int) (ids >>> 32);
      int label = (int) ids;
      if (!texts.isHeld(subject) || (label != -1 && !texts.isHeld(label))) {
        throw new IllegalArgumentException("slot " + slot + " names a text the pool does not hold");
      }
      subjects.set(subject);
      if (label != -1) {
        labels.set(label);
      }
      plain.set(slot);
      plainCount++;
      if (expected != null && !followsList(slot, subject, (int) (links >>> 32) - 1)) {
        expected = null;
      }
    }
  }

  /**
   * Whether plain {@code slot} of {@code subject}, linking on to {@code next}, is where its
   * subject's list must be as the slots are passed in order: its head if the list has not
   * started, else the slot the list's previous one named; linking on to a later slot or none.
   * Lists so found hold exactly their subjects' slots, each once and ascending, so none loops or
   * strays; an image writes them so ({@link IndexImage.Writer}).
   */
  private boolean followsList(int slot, int subject, int next) {
    int expect = expected[subject];
    int head = subject < heads.length ? heads[subject] : 0;
    if ((expect == 0 ? head : expect) != slot + 1 || (next != -1 && next <= slot)) {
      return false;
    }
    expected[subject] = next == -1 ? ENDED : next + 1;
    return true;
  }

  /** Whether each list followed its slots to its end, and no head names a list of none. */
  private boolean listsEnded() {
    if (expected == null) {
      return false;
    }
    for (int subject = 0; subject < heads.length; subject++) {
      if (heads[subject] != 0 && (subject >= expected.length || expected[subject] != ENDED)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Links each subject's plain slots into a list anew, ascending: lists are derived from the
   * slots, as tables are, so lists that did not follow them (from an image written before lists
   * were written in order, or a forged one) are rebuilt rather than refused. Only slots whose
   * link changes are written, so a mapped image copies only their pages.
   */
  private void rebuildLists(TextPool texts) {
    heads = new int[Math.max(16, texts.idLimit())];
    for (int slot = slotLimit - 1; slot >= 0; slot--) {
      if (plain.get(slot)) {
        int subject = IndexImage.subjectOf(slots, slot);
        long links = CompactLiveIndex.pack(heads[subject], CompactLiveIndex.PLAIN);
        if (slots.get(slot, CompactLiveIndex.LINKS) != links) {
          slots.set(slot, CompactLiveIndex.LINKS, links);
        }
        heads[subject] = slot + 1;
      }
    }
  }

  private void checkFreeList(int[] freeSlots) {
    BitSet listed = new BitSet(slotLimit);
    for (int slot : freeSlots) {
      if (slot < 0 || slot >= slotLimit || plain.get(slot) || listed.get(slot)) {
        throw new IllegalArgumentException("free slot " + slot + " is not a free one");
      }
      listed.set(slot);
    }
    if (freeSlots.length != slotLimit - plainCount) {
      throw new IllegalArgumentException(freeSlots.length + " free slots listed of "
          + (slotLimit - plainCount));
    }
  }

  /**
   * Whether each plain slot is the first its own id's probe and its own digest's probe confirm,
   * as a lookup would (its keys reachable, no slot before it holding the same), within a bounded
   * number of steps in all. Probes that take longer say only that the keys cluster, which keys
   * chosen by a test or a forger can: then the tables are built anew, which finds any key held
   * twice.
   *
   * @throws IllegalArgumentException if a slot cannot be reached or another holds its key
   */
  private boolean probesFindEachSlot(SlotTable byId, SlotTable byDigest) {
    long budget = PROBE_STEPS_PER_KEY * (2L * plainCount);
    int[] batch = new int[BATCH];
    int[] idCells = new int[BATCH];
    int[] digestCells = new int[BATCH];
    for (int slot = plain.nextSetBit(0); slot >= 0 && budget >= 0; ) {
      int count = 0;
      for (; count < BATCH && slot >= 0; count++, slot = plain.nextSetBit(slot + 1)) {
        batch[count] = slot;
      }
      budget -= probeBatch(byId.cells, byDigest.cells, batch, count, idCells, digestCells, budget);
    }
    return budget >= 0;
  }

  /**
   * The steps of the probes for {@code count} slots' ids and digests. A method of its own, so a
   * fresh JVM compiles it after a few hundred batches rather than after tens of thousands of
   * interpreted iterations of the loop around it.
   */
  private long probeBatch(IntBuffer ids, IntBuffer digests, int[] batch, int count,
      int[] idCells, int[] digestCells, long budget) {
    for (int i = 0; i < count; i++) {
      idCells[i] = SlotTable.start(ids, hash(batch[i], CompactLiveIndex.ID_HIGH));
      digestCells[i] = SlotTable.start(digests, hash(batch[i], CompactLiveIndex.DIGEST));
    }
    // The first cells of the batch's probes, read in a loop of their own: the reads do not
    // depend on each other, so their cache misses overlap instead of following one another.
    for (int i = 0; i < count; i++) {
      idCells[i] = ids.get(idCells[i]);
      digestCells[i] = digests.get(digestCells[i]);
    }
    long steps = 0;
    for (int i = 0; i < count; i++) {
      steps += firstCellHolds(idCells[i], batch[i], CompactLiveIndex.ID_HIGH) ? 1
          : probe(ids, batch[i], CompactLiveIndex.ID_HIGH, budget - steps);
      steps += firstCellHolds(digestCells[i], batch[i], CompactLiveIndex.DIGEST) ? 1
          : probe(digests, batch[i], CompactLiveIndex.DIGEST, budget - steps);
    }
    return steps;
  }

  private static final int BATCH = 64;

  /** Whether {@code cell}, the first of a probe's, names {@code slot} under its key's hash. */
  private boolean firstCellHolds(int cell, int slot, int field) {
    return SlotTable.slotIn(cell) == slot
        && cell == SlotTable.cellFor(hash(slot, field), slot);
  }

  /**
   * A table of every plain slot under its key at {@code field}, built as the index builds one.
   *
   * @throws IllegalArgumentException if two slots hold the same key
   */
  private SlotTable rebuilt(int field) {
    SlotTable table = SlotTable.tight(plainCount);
    boolean id = field == CompactLiveIndex.ID_HIGH;
    // Keys that all collide cost steps in the square of their number: bounded, so that an image
    // forged that way is refused in a fraction of a second rather than indexed for hours.
    long budget = REBUILD_STEPS + PROBE_STEPS_PER_KEY * (long) plainCount;
    for (int slot = plain.nextSetBit(0); slot >= 0; slot = plain.nextSetBit(slot + 1)) {
      int hash = hash(slot, field);
      int at = SlotTable.start(table.cells, hash);
      while (table.cells.get(at) != SlotTable.EMPTY) {
        int found = SlotTable.candidate(table.cells, at, hash);
        if (found >= 0 && sameKey(found, slot, field, id)) {
          throw duplicate(found, slot, id);
        }
        if (--budget < 0) {
          throw new IllegalArgumentException("the slots' " + (id ? "session ids" : "tokens")
              + " collide too often to index");
        }
        at = SlotTable.next(table.cells, at);
      }
      table.addAt(at, hash, slot);
    }
    return table;
  }

  /** Steps a rebuild may take beyond a probe's share per key: some 11,000 keys that all collide. */
  private static final long REBUILD_STEPS = 64L << 20;

  private int hash(int slot, int field) {
    long a = slots.get(slot, field);
    return field == CompactLiveIndex.ID_HIGH
        ? CompactLiveIndex.idHash(a, slots.get(slot, field + 1)) : CompactLiveIndex.digestHash(a);
  }

  private static IllegalArgumentException duplicate(int one, int other, boolean id) {
    return new IllegalArgumentException("slots " + one + " and " + other + " hold the same "
        + (id ? "session id" : "token"));
  }

  /** A probe's average length far beyond any a table at three quarters' load comes near. */
  private static final int PROBE_STEPS_PER_KEY = 32;

  /**
   * The steps of the probe for {@code slot}'s key at {@code field}, which must find it first, or
   * more than {@code budget} once it has taken that many.
   */
  private long probe(IntBuffer cells, int slot, int field, long budget) {
    boolean id = field == CompactLiveIndex.ID_HIGH;
    int hash = hash(slot, field);
    int at = SlotTable.start(cells, hash);
    for (long steps = 1; steps <= cells.limit(); steps++) {
      int found = SlotTable.candidate(cells, at, hash);
      if (found == slot) {
        return steps;
      }
      if (cells.get(at) == SlotTable.EMPTY) {
        break;
      }
      if (found >= 0 && sameKey(found, slot, field, id)) {
        throw duplicate(found, slot, id);
      }
      if (steps > budget) {
        return steps;
      }
      at = SlotTable.next(cells, at);
    }
    throw new IllegalArgumentException("slot " + slot + " cannot be found by its "
        + (id ? "session id" : "token"));
  }

  private boolean sameKey(int one, int other, int field, boolean id) {
    int words = id ? 2 : 4;
    for (int word = 0; word < words; word++) {
      if (slots.get(one, field + word) != slots.get(other, field + word)) {
        return false;
      }
    }
    return true;
  }

  /** The table over {@code cells}, each naming a plain slot, one per plain slot in all. */
  private SlotTable table(IntBuffer cells, String key) {
    int named = 0;
    for (int at = 0; at < cells.limit(); at++) {
      int slot = SlotTable.slotIn(cells.get(at));
      if (slot >= 0) {
        if (slot >= slotLimit || !plain.get(slot)) {
          throw new IllegalArgumentException("a " + key + " cell names slot " + slot
              + ", not a plain one");
        }
        named++;
      }
    }
    if (named != plainCount) {
      throw new IllegalArgumentException("the " + key + " table names " + named + " slots of "
          + plainCount);
    }
    return SlotTable.restore(cells);
  }
}
