package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Session;
import java.nio.IntBuffer;
import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Checks that an {@link IndexImage}'s parts hold together before an index is made from them:
 * every slot free or a plain session with possible instants and held texts, the free list
 * exactly the free slots, every cell empty, removed or naming a plain slot, each text as a
 * session allows it, and each slot the first its own id's and token's probes confirm (each text
 * likewise in the text table), so every key is reachable and none is held twice. Each subject's
 * list must hold exactly its slots, ascending, or the lists are rebuilt from the slots. Passes
 * over the slots go in order; the probes, a read at random per key, are shared among threads
 * ({@link KeyProbes}). Not thread-safe; used once, by one thread, which starts the others.
 */
final class ImageCheck {

  private final SlotArena slots;
  private final KeyHash digestKeys;
  private final KeyHash idKeys;
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

  /** Checks an image whose digest and id tables place keys by the two hashes given. */
  ImageCheck(SlotArena slots, int slotLimit, KeyHash digestKeys, KeyHash idKeys) {
    this.slots = slots;
    this.slotLimit = slotLimit;
    this.digestKeys = digestKeys;
    this.idKeys = idKeys;
    this.plain = new BitSet(slotLimit);
  }

  /** What the checks read of an image besides its slots and its tables' cells. */
  interface Sections {
    /** Checks the slots' checksum: {@link IllegalArgumentException} if it does not match. */
    void checkSlotsSum();

    /** Checks the id and digest tables' checksums likewise. */
    void checkTablesSum();

    /** The text pool, its checksums checked first. */
    TextPool.Parts texts();
  }

  /**
   * The parts of an index, once they pass. Three parts of the work need not wait for each other
   * and run on three threads: the text pool (copied to the heap, checked and probed); the keys'
   * probes ({@link KeyProbes}), then the tables' cells once the plain slots are known; and, on
   * the caller's, the pass over the slots, their checksum, then a share of the probes.
   *
   * @param textOffsets the text pool's offsets, as the sections' texts will hold them: {@code
   *     textIds} of them, then room for more, each -1, a text not held
   * @throws IllegalArgumentException naming the first thing that does not hold together; a
   *     checksum that does not match before anything else
   */
  IndexImage.Parts check(Sections sections, int[] freeSlots, IntBuffer digestCells,
      IntBuffer idCells, int[] subjectHeads, int[] textOffsets, int textIds) {
    TextsCheck textsCheck = new TextsCheck(sections);
    FutureTask<CheckedTexts> texts = new FutureTask<>(textsCheck);
    StoreThreads.daemon("tokenkeeper-image-texts").newThread(texts).start();
    KeyProbes probes = new KeyProbes(slots, slotLimit, idCells, idKeys, digestCells, digestKeys);
    KeysCheck keysCheck = new KeysCheck(sections, probes, digestCells, idCells);
    FutureTask<SlotTable[]> tables = new FutureTask<>(keysCheck);
    StoreThreads.daemon("tokenkeeper-image-keys").newThread(tables).start();
    boolean summed = false;
    try {
      BitSet subjects = new BitSet();
      BitSet labels = new BitSet();
      heads = subjectHeads;
      expected = new int[textIds];
      checkSlots(textOffsets, subjects, labels);
      keysCheck.passed.complete(null);
      checkFreeList(freeSlots);
      summed = true;
      sections.checkSlotsSum();
      if (!listsEnded()) {
        rebuildLists(textIds);
      }
      probes.work(keysCheck.refused);
      CheckedTexts checked = StoreThreads.await(texts, IllegalArgumentException.class);
      checked.allow(subjects, labels);
      SlotTable[] keys = keyTables(StoreThreads.await(tables, IllegalArgumentException.class),
          probes);
      return new IndexImage.Parts(slots, slotLimit, freeSlots, keys[1], keys[0], heads,
          checked.pool, plainCount);
    } catch (RuntimeException | Error e) {
      keysCheck.refused.set(true);
      keysCheck.passed.completeExceptionally(e);
      // A changed byte is damage before it is a forgery: a checksum that fails names it.
      if (!summed) {
        sections.checkSlotsSum();
      }
      StoreThreads.await(keysCheck.summed, IllegalArgumentException.class);
      StoreThreads.await(textsCheck.summed, IllegalArgumentException.class);
      throw e;
    }
  }

  /**
   * The text pool's share of the checks, on a thread of its own; {@link #summed} completes once
   * its checksums are read. A class, not a lambda: see {@link OpenPreloader}.
   */
  private static final class TextsCheck implements Callable<CheckedTexts> {
    final CompletableFuture<Void> summed = new CompletableFuture<>();
    private final Sections sections;

    TextsCheck(Sections sections) {
      this.sections = sections;
    }

    @Override
    public CheckedTexts call() {
      TextPool.Parts parts;
      try {
        parts = sections.texts();
      } catch (RuntimeException | Error e) {
        summed.completeExceptionally(e);
        throw e;
      }
      summed.complete(null);
      return checkTexts(parts);
    }
  }

  /**
   * The keys' share of the checks, on a thread of its own: the tables' checksums (then
   * {@link #summed} completes), the probes, and once the slots have {@link #passed}, the tables'
   * cells. The probes stop early once the open is {@link #refused}. A class: see
   * {@link OpenPreloader}.
   */
  private final class KeysCheck implements Callable<SlotTable[]> {
    final CompletableFuture<Void> summed = new CompletableFuture<>();
    final CompletableFuture<Void> passed = new CompletableFuture<>();
    final AtomicBoolean refused = new AtomicBoolean();
    private final Sections sections;
    private final KeyProbes probes;
    private final IntBuffer digestCells;
    private final IntBuffer idCells;

    KeysCheck(Sections sections, KeyProbes probes, IntBuffer digestCells, IntBuffer idCells) {
      this.sections = sections;
      this.probes = probes;
      this.digestCells = digestCells;
      this.idCells = idCells;
    }

    @Override
    public SlotTable[] call() {
      try {
        sections.checkTablesSum();
      } catch (RuntimeException | Error e) {
        summed.completeExceptionally(e);
        throw e;
      }
      summed.complete(null);
      probes.work(refused);
      StoreThreads.await(passed, IllegalArgumentException.class);
      return new SlotTable[] {
          table(idCells, idKeys, "id"), table(digestCells, digestKeys, "digest")};
    }
  }

  /**
   * The id and digest tables, {@code scanned} (their cells checked), each as it is if each
   * key's probe found its slot, else built anew. A probe's finding is said after the cells'.
   */
  private SlotTable[] keyTables(SlotTable[] scanned, KeyProbes probes) {
    SlotTable ids = scanned[0];
    SlotTable digests = scanned[1];
    if (probes.failure() != null && ids.isWellSpread() && digests.isWellSpread()) {
      throw probes.failure();
    }
    // Keys that cluster are indexed anew: a rebuild finds any key held twice.
    return new SlotTable[] {
        probes.idsFound() && ids.isWellSpread() ? ids : rebuilt(CompactLiveIndex.ID_HIGH),
        probes.digestsFound() && digests.isWellSpread()
            ? digests : rebuilt(CompactLiveIndex.DIGEST)};
  }

  /**
   * A text pool as an image holds it; the texts a session may not have as a subject or as a
   * label, by id, each with why (whether any is one is known only once the slots are passed);
   * and why its table's probes fail, if they do.
   */
  private record CheckedTexts(TextPool pool, Map<Integer, IllegalArgumentException> notSubjects,
      Map<Integer, IllegalArgumentException> notLabels, IllegalArgumentException tableFailure) {

    /** Checks that no text is used as what it may not be, then that the table finds each. */
    void allow(BitSet subjects, BitSet labels) {
      refuseAny(notSubjects, subjects);
      refuseAny(notLabels, labels);
      if (tableFailure != null) {
        throw tableFailure;
      }
    }

    private static void refuseAny(Map<Integer, IllegalArgumentException> refused, BitSet used) {
      for (Map.Entry<Integer, IllegalArgumentException> text : refused.entrySet()) {
        if (used.get(text.getKey())) {
          throw text.getValue();
        }
      }
    }
  }

  private static CheckedTexts checkTexts(TextPool.Parts parts) {
    TextPool.Restored restored = TextPool.restore(parts, Session.MAX_TEXT_LENGTH);
    TextPool texts = restored.pool();
    Map<Integer, IllegalArgumentException> notSubjects = new TreeMap<>();
    Map<Integer, IllegalArgumentException> notLabels = new TreeMap<>();
    BitSet unusual = restored.notPrintable();
    for (int id = unusual.nextSetBit(0); id >= 0; id = unusual.nextSetBit(id + 1)) {
      int text = id;
      refusal(texts, text, true).ifPresent(e -> notSubjects.put(text, e));
      refusal(texts, text, false).ifPresent(e -> notLabels.put(text, e));
    }
    return new CheckedTexts(texts, notSubjects, notLabels, restored.tableFailure());
  }

  private static Optional<IllegalArgumentException> refusal(TextPool texts, int id,
      boolean subject) {
    try {
      checkText(texts, id, subject);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e);
    }
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

  private void checkSlots(int[] textOffsets, BitSet subjects, BitSet labels) {
    long[] block = new long[BLOCK * SlotArena.SLOT_LONGS];
    // Whole blocks, then the rest: a loop whose last round differed would be compiled for the
    // others and sent back to the interpreter by the last.
    int whole = slotLimit - slotLimit % BLOCK;
    for (int first = 0; first < whole; first += BLOCK) {
      checkBlock(first, BLOCK, block, textOffsets, subjects, labels);
    }
    checkBlock(whole, slotLimit - whole, block, textOffsets, subjects, labels);
  }

  private void checkBlock(int first, int count, long[] block, int[] textOffsets,
      BitSet subjects, BitSet labels) {
    slots.read(first, count, block);
    for (int i = 0; i < count; i++) {
      checkSlot(first + i, block, i * SlotArena.SLOT_LONGS, textOffsets, subjects, labels);
    }
  }

  /** Checks {@code slot}, read into {@code block} from {@code base} on. */
  private void checkSlot(int slot, long[] block, int base, int[] textOffsets, BitSet subjects,
      BitSet labels) {
    long links = block[base + CompactLiveIndex.LINKS];
    int state = (int) links;
    if (state == CompactLiveIndex.FREE) {
      if (links != CompactLiveIndex.pack(0, CompactLiveIndex.FREE)) {
        throw new IllegalArgumentException("free slot " + slot + " links on");
      }
      return;
    }
    if (state != CompactLiveIndex.PLAIN) {
      throw new IllegalArgumentException("slot " + slot + " of an image is not plain");
    }
    if (!CompactLiveIndex.possibleInstants(block[base + CompactLiveIndex.CREATED],
        block[base + CompactLiveIndex.LAST_USED], block[base + CompactLiveIndex.EXPIRES])) {
      throw new IllegalArgumentException("slot " + slot + " has impossible instants");
    }
    long ids = block[base + CompactLiveIndex.TEXTS];
    int subject = (int) (ids >>> 32);
    int label = (int) ids;
    if (!isHeld(textOffsets, subject) || (label != -1 && !isHeld(textOffsets, label))) {
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

  /** Slots read at a time by a pass over them: some 5.5 KiB, well within the first cache. */
  private static final int BLOCK = 64;

  /** Whether {@code id} names a text held, by the offsets the pool will hold. */
  private static boolean isHeld(int[] textOffsets, int id) {
    return id >= 0 && id < textOffsets.length && textOffsets[id] >= 0;
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
  private void rebuildLists(int textIds) {
    heads = new int[Room.around(textIds)];
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
   * A table of every plain slot under its key at {@code field}, built as the index builds one.
   *
   * @throws IllegalArgumentException if two slots hold the same key
   */
  private SlotTable rebuilt(int field) {
    // Under a hash keyed anew: keys that an image's hash lines up need not line up under it.
    SlotTable table = SlotTable.tight(plainCount, KeyHash.fresh());
    boolean id = field == CompactLiveIndex.ID_HIGH;
    // Keys that all collide cost steps in the square of their number: bounded, so that an image
    // forged that way is refused in a fraction of a second rather than indexed for hours.
    long budget = REBUILD_STEPS + KeyProbes.STEPS_PER_KEY * (long) plainCount;
    for (int slot = plain.nextSetBit(0); slot >= 0; slot = plain.nextSetBit(slot + 1)) {
      int hash = hash(table.keys, slot, field);
      int at = SlotTable.start(table.cells, hash);
      while (table.cells.get(at) != SlotTable.EMPTY) {
        int found = SlotTable.candidate(table.cells, at, hash);
        if (found >= 0 && KeyProbes.sameKey(slots, found, slot, field)) {
          throw KeyProbes.duplicate(found, slot, id);
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

  private int hash(KeyHash keys, int slot, int field) {
    long a = slots.get(slot, field);
    long b = slots.get(slot, field + 1);
    return field == CompactLiveIndex.ID_HIGH ? keys.id(a, b)
        : keys.digest(a, b, slots.get(slot, field + 2), slots.get(slot, field + 3));
  }

  /** The table over {@code cells}, each naming a plain slot, one per plain slot in all. */
  private SlotTable table(IntBuffer cells, KeyHash keys, String key) {
    SlotTable table = SlotTable.restore(cells, plain, new BitSet(slotLimit), keys);
    if (table.stray() >= 0) {
      throw new IllegalArgumentException("a " + key + " cell names slot " + table.stray()
          + ", not a plain one named once");
    }
    if (table.named() != plainCount) {
      throw new IllegalArgumentException("the " + key + " table names " + table.named()
          + " slots of " + plainCount);
    }
    return table;
  }
}
