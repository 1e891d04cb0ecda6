package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Session;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.BitSet;

/**
 * Checks that nothing an {@link IndexImage} holds can break a read of the index made from it:
 * every slot free or a plain session with possible instants and held texts, the free list
 * exactly the free slots, every cell empty, removed or naming a plain slot, every subject's list
 * entered once per slot (so no list loops) and through plain slots only, each text as a session
 * allows it. Two passes over the slots, in order, and one over each table: no session is probed
 * for. Not thread-safe; used once.
 */
final class ImageCheck {

  private final SlotArena slots;
  private final int slotLimit;
  private final BitSet plain;
  private int plainCount;

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
    checkSlots(texts, subjects, labels);
    checkFreeList(freeSlots);
    checkLists(subjectHeads, texts);
    SlotTable byDigest = table(digestCells, "digest");
    SlotTable byId = table(idCells, "id");
    for (int id = subjects.nextSetBit(0); id >= 0; id = subjects.nextSetBit(id + 1)) {
      checkText(texts, id, true);
    }
    for (int id = labels.nextSetBit(0); id >= 0; id = labels.nextSetBit(id + 1)) {
      checkText(texts, id, false);
    }
    return new IndexImage.Parts(slots, slotLimit, freeSlots, byDigest, byId, subjectHeads, texts,
        plainCount);
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
   * Every plain slot is entered exactly once, from a head or from the slot before it, and only
   * plain slots are: a list that looped back would enter some slot twice.
   */
  private void checkLists(int[] subjectHeads, TextPool texts) {
    BitSet entered = new BitSet(slotLimit);
    for (int text = 0; text < subjectHeads.length; text++) {
      if (subjectHeads[text] != 0) {
        if (!texts.isHeld(text)) {
          throw new IllegalArgumentException("a list heads text " + text + ", which is not held");
        }
        enter(subjectHeads[text] - 1, entered);
      }
    }
    for (int slot = plain.nextSetBit(0); slot >= 0; slot = plain.nextSetBit(slot + 1)) {
      int next = IndexImage.nextOf(slots, slot);
      if (next != -1) {
        enter(next, entered);
      }
    }
    if (entered.cardinality() != plainCount) {
      throw new IllegalArgumentException((plainCount - entered.cardinality())
          + " sessions are in no subject's list");
    }
  }

  private void enter(int slot, BitSet entered) {
    if (slot < 0 || slot >= slotLimit || !plain.get(slot) || entered.get(slot)) {
      throw new IllegalArgumentException("a subject's list enters slot " + slot
          + ", not a plain slot entered once");
    }
    entered.set(slot);
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
