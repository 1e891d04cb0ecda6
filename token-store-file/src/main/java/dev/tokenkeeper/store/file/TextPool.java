package dev.tokenkeeper.store.file;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Subjects and labels for {@link CompactLiveIndex}, each distinct text stored once as UTF-8 in one
 * shared byte array and named by a small {@code int} id: a million sessions of half a million
 * users cost about 30 bytes a user instead of a {@code String} and a map entry each. Texts no
 * session names any more are dropped by {@link #retainOnly}, and their bytes reclaimed once they
 * are half the array.
 *
 * <p>The table is probed with a hash keyed by a random seed, so subjects chosen to collide (user
 * names are an attacker's to pick) cannot line up a long probe. Each pool draws its own, and a
 * snapshot's image is written under a fresh one ({@link #reseed}), which the store's files keep
 * with the table. Not thread-safe: written under the index's lock; {@link #text} may be called
 * optimistically, as the index validates after it.
 */
final class TextPool {

  private static final SecureRandom SEEDS = new SecureRandom();

  private long seed = SEEDS.nextLong();
  private byte[] bytes = new byte[1024];
  private int end;
  private int dead;
  /** Where each id's text starts in {@code bytes} (a two-byte length, then UTF-8); -1 if free. */
  private int[] offsets = new int[64];
  private int ids;
  private int[] freeIds = new int[16];
  private int free;
  private SlotTable table = SlotTable.growing(16);
  /** Counts the calls of {@link #retainOnly} that dropped a text: an id names one text between. */
  private long generation;

  /** The id of {@code text}, added if it is new; it must {@linkplain #holds hold} as itself. */
  int intern(String text) {
    if (!holds(text)) {
      throw new IllegalArgumentException("a text with a lone surrogate is not pooled");
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    int hash = hash(utf8, 0, utf8.length);
    int found = find(utf8, hash);
    if (found >= 0) {
      return found;
    }
    int id = free > 0 ? freeIds[--free] : ids++;
    if (id == offsets.length) {
      offsets = Arrays.copyOf(offsets, id * 2);
    }
    offsets[id] = append(utf8);
    if (!table.hasRoomFor(1)) {
      rebuildTable(size());
    }
    table.add(hash, id);
    return id;
  }

  /** The id of {@code text}, or -1 if it is not held. */
  int idOf(String text) {
    if (!holds(text)) {
      return -1;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    return find(utf8, hash(utf8, 0, utf8.length));
  }

  /**
   * Whether {@code text} is kept as itself: UTF-8 has no spelling for a lone surrogate and would
   * write {@code '?'} for it, so a query naming one would find the subject spelt with '?'.
   * Subjects and labels never hold one ({@code Session} refuses it); a query that does names no
   * text.
   */
  static boolean holds(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * A pool's arrays as they are, for an image ({@link IndexImage}), or as an image holds them:
   * {@code end} bytes of texts, each a two-byte length then UTF-8, of which {@code dead} are
   * dropped ones; where each of {@code ids} ids starts, or -1; {@code free} ids to give out again.
   */
  record Parts(byte[] bytes, int end, int dead, int[] offsets, int ids, int[] freeIds, int free,
      long seed, IntBuffer table) {}

  /** This pool's arrays, not copied: read them before the pool changes. */
  Parts parts() {
    return new Parts(bytes, end, dead, offsets, ids, freeIds, free, seed, table.cells);
  }

  /** Draws a new seed and rebuilds the table under it. */
  void reseed() {
    seed = SEEDS.nextLong();
    rebuildTable(SlotTable.tight(Math.max(16, size())));
  }

  /**
   * A pool as an image holds it ({@link #restore}); the held texts that are not 1 to a given
   * length of printable ASCII, which their users must check further; and why the probe of a
   * held text in the table failed, if one did, said after everything else.
   */
  record Restored(TextPool pool, BitSet notPrintable, IllegalArgumentException tableFailure) {}

  /**
   * A pool holding {@code parts}, as an image holds them, its table and seed included: each
   * text held in range, its bytes classified ({@link #printableAscii} up to {@code maxLength}),
   * and, once all are known to be in range, each found first by its probe in the table, as
   * {@link #intern} would (a text the table could not reach would be pooled again under a new id, and its
   * subject's sessions split between two lists). If the probes take too long in all (texts that
   * cluster), or the table is too full, the table is built anew under a new seed.
   *
   * @throws IllegalArgumentException if a text runs past the bytes, the free ids are not exactly
   *     the unused ones, or the table does not name each text held exactly once
   */
  static Restored restore(Parts parts, int maxLength) {
    TextPool pool = new TextPool();
    byte[] bytes = parts.bytes();
    int end = parts.end();
    int ids = parts.ids();
    if (end > bytes.length || parts.dead() < 0 || parts.dead() > end
        || ids > parts.offsets().length || parts.free() > parts.freeIds().length) {
      throw new IllegalArgumentException("a text pool's sizes do not hold together");
    }
    pool.bytes = bytes;
    pool.end = end;
    pool.dead = parts.dead();
    // Growth doubles these arrays, so an empty one must not stay empty.
    pool.offsets = parts.offsets().length < 16 ? Arrays.copyOf(parts.offsets(), 16)
        : parts.offsets();
    pool.ids = ids;
    pool.freeIds = Arrays.copyOf(parts.freeIds(), Math.max(16, parts.free()));
    pool.free = parts.free();
    pool.seed = parts.seed();
    BitSet anyId = new BitSet(ids);
    anyId.set(0, ids);
    BitSet named = new BitSet(ids);
    pool.table = SlotTable.restore(parts.table(), anyId, named);
    if (pool.table.stray() >= 0) {
      throw notNamedOnce(pool.table.stray());
    }
    Held passed = new Held();
    BitSet notPrintable = new BitSet();
    for (int from = 0; from < ids; ) {
      // Up to ids, never past it: a step past it could overflow for a count near the limit.
      int to = from + Math.min(BLOCK, ids - from);
      passed.block(pool, from, to, maxLength, named, notPrintable);
      from = to;
    }
    int unused = passed.unused;
    long held = passed.bytes;
    // Reclaiming copies the texts held into an array of end - dead bytes and a half.
    if (held != end - (long) parts.dead()) {
      throw new IllegalArgumentException("a text pool holds " + held + " bytes of texts, not "
          + (end - parts.dead()));
    }
    BitSet listed = new BitSet(ids);
    for (int i = 0; i < pool.free; i++) {
      int id = pool.freeIds[i];
      if (id < 0 || id >= ids || pool.offsets[id] != -1 || listed.get(id)) {
        throw new IllegalArgumentException("free text id " + id + " is not an unused one");
      }
      listed.set(id);
    }
    if (unused != pool.free) {
      throw new IllegalArgumentException(unused + " unused text ids, " + pool.free + " free");
    }
    if (pool.table.named() != ids - unused) {
      throw new IllegalArgumentException("the text table names " + pool.table.named()
          + " texts of " + (ids - unused));
    }
    // Probed only now: a probe compares its text with the texts it passes, whose offsets must
    // all have been checked first.
    IllegalArgumentException tableFailure = null;
    long budget = pool.table.isWellSpread() ? 32L * pool.table.named() : -1;
    try {
      for (int from = 0; from < ids && budget >= 0; ) {
        int to = from + Math.min(BLOCK, ids - from);
        budget = pool.probeBlock(from, to, budget);
        from = to;
      }
    } catch (IllegalArgumentException e) {
      tableFailure = e;
    }
    if (budget < 0 && tableFailure == null) {
      // Each text is added where its probe ends, which meets any text held twice first.
      pool.seed = SEEDS.nextLong();
      SlotTable rebuilt = SlotTable.tight(Math.max(16, pool.size()));
      try {
        for (int id = 0; id < ids; id++) {
          if (pool.offsets[id] >= 0) {
            pool.probe(rebuilt, id, Long.MAX_VALUE, true);
          }
        }
      } catch (IllegalArgumentException e) {
        tableFailure = e;
      }
      pool.table = rebuilt;
    }
    return new Restored(pool, notPrintable, tableFailure);
  }

  /**
   * Ids a call of {@link Held#block} or {@link #probeBlock} takes. Few enough that a fresh JVM
   * compiles those methods after some thousands of texts, where one loop over half a million runs
   * tens of thousands in the interpreter before it is compiled.
   */
  private static final int BLOCK = 64;

  /** The ids {@link #restore} found unused and the bytes of the texts held, a block at a time. */
  private static final class Held {
    int unused;
    long bytes;

    /**
     * Checks ids {@code from} to {@code to}: each unused one named by no cell ({@code named}),
     * each held one within the pool's bytes; notes in {@code notPrintable} those that are not 1
     * to {@code maxLength} bytes of printable ASCII.
     */
    void block(TextPool pool, int from, int to, int maxLength, BitSet named,
        BitSet notPrintable) {
      for (int id = from; id < to; id++) {
        int at = pool.offsets[id];
        if (at == -1) {
          unused++;
          if (named.get(id)) {
            throw notNamedOnce(id);
          }
          continue;
        }
        if (at < 0 || at > pool.end - 2 || at + 2 + pool.lengthAt(at) > pool.end) {
          throw new IllegalArgumentException("text " + id + " runs past the pool's bytes");
        }
        bytes += 2 + pool.lengthAt(at);
        if (pool.printableAscii(id, maxLength) != PRINTABLE) {
          notPrintable.set(id);
        }
      }
    }
  }

  /**
   * Probes the held texts of ids {@code from} to {@code to} in the table, each of which must be
   * found first, while steps remain of {@code budget}; returns what remains, negative once spent.
   *
   * @throws IllegalArgumentException as {@link #probe} does
   */
  private long probeBlock(int from, int to, long budget) {
    for (int id = from; id < to && budget >= 0; id++) {
      if (offsets[id] >= 0) {
        budget -= probe(table, id, budget, false);
      }
    }
    return budget;
  }

  private static IllegalArgumentException notNamedOnce(int id) {
    return new IllegalArgumentException("the text table names text " + id
        + ", not a held text named once");
  }

  /**
   * The steps of the probe in {@code in} for held text {@code id}, which must find it first (or
   * an empty cell, where it is then added, if {@code add}); more than {@code budget} once it has
   * taken that many.
   *
   * @throws IllegalArgumentException if the probe finds another id holding the same text first,
   *     or, unless it adds, none
   */
  private long probe(SlotTable in, int id, long budget, boolean add) {
    IntBuffer cells = in.cells;
    int at = offsets[id];
    int length = lengthAt(at);
    int hash = hash(bytes, at + 2, length);
    int cell = SlotTable.start(cells, hash);
    for (long steps = 1; steps <= cells.limit(); steps++) {
      int found = SlotTable.candidate(cells, cell, hash);
      if (found == id) {
        return steps;
      }
      if (cells.get(cell) == SlotTable.EMPTY) {
        if (add) {
          in.addAt(cell, hash, id);
          return steps;
        }
        break;
      }
      if (found >= 0 && lengthAt(offsets[found]) == length && Arrays.equals(bytes,
          offsets[found] + 2, offsets[found] + 2 + length, bytes, at + 2, at + 2 + length)) {
        throw new IllegalArgumentException("texts " + found + " and " + id + " are the same");
      }
      if (steps > budget) {
        return steps;
      }
      cell = SlotTable.next(cells, cell);
    }
    throw new IllegalArgumentException("text " + id + " cannot be found in the text table");
  }

  /** Printable ASCII that is not all spaces, for {@link #printableAscii}. */
  static final int PRINTABLE = 1;
  /** Printable ASCII, all spaces. */
  static final int SPACES = 0;
  /** Anything else: empty, too long, or other bytes. */
  static final int OTHER = -1;

  /**
   * Whether the text of {@code id}, a held one, is 1 to {@code maxLength} bytes of printable
   * ASCII (U+0020 to U+007E): {@link #PRINTABLE}, {@link #SPACES} or {@link #OTHER}. Read on its
   * bytes, without decoding.
   */
  int printableAscii(int id, int maxLength) {
    int at = offsets[id] + 2;
    int length = lengthAt(offsets[id]);
    if (length < 1 || length > maxLength) {
      return OTHER;
    }
    boolean spaces = true;
    for (int i = at; i < at + length; i++) {
      byte b = bytes[i];
      if (b < 0x20 || b > 0x7E) {
        return OTHER;
      }
      spaces &= b == 0x20;
    }
    return spaces ? SPACES : PRINTABLE;
  }

  /** Whether {@code id} names a text held. */
  boolean isHeld(int id) {
    return id >= 0 && id < ids && offsets[id] >= 0;
  }

  /**
   * The text of {@code id}, a held one, if its bytes are UTF-8, never read as U+FFFD.
   *
   * @throws IllegalArgumentException if they are not
   */
  String strictText(int id) {
    int at = offsets[id];
    return decodeStrictly(bytes, at + 2, lengthAt(at));
  }

  /**
   * The text {@code length} bytes of {@code utf8} from {@code from} spell; bytes that are not
   * UTF-8 are refused, not read as U+FFFD.
   *
   * @throws IllegalArgumentException if they are not UTF-8
   */
  static String decodeStrictly(byte[] utf8, int from, int length) {
    boolean ascii = true;
    for (int i = from; i < from + length; i++) {
      ascii &= utf8[i] >= 0;
    }
    if (ascii) {
      return new String(utf8, from, length, StandardCharsets.US_ASCII); // the common case
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8, from, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("a text is not UTF-8", e);
    }
  }

  /** The text of {@code id}. */
  String text(int id) {
    int at = offsets[id];
    return textAt(at, lengthAt(at));
  }

  /**
   * Where the text of {@code id} starts, for {@link #lengthAt} and {@link #textAt}: it stays
   * there until {@link #retainOnly} says texts moved.
   */
  int startOf(int id) {
    return offsets[id];
  }

  /** The length in bytes of the text that starts at {@code start}. */
  int lengthAt(int start) {
    byte[] in = bytes;
    return ((in[start] & 0xFF) << 8) | (in[start + 1] & 0xFF);
  }

  /** {@link #lengthAt}, or 0 if {@code start} is not within the texts' bytes. */
  int lengthOrZeroAt(int start) {
    byte[] in = bytes;
    return start >= 0 && start < in.length - 1
        ? ((in[start] & 0xFF) << 8) | (in[start + 1] & 0xFF) : 0;
  }

  /** The text that starts at {@code start}, {@code length} bytes long. */
  String textAt(int start, int length) {
    return new String(bytes, start + 2, length, StandardCharsets.UTF_8);
  }

  /** How many ids are in use. */
  int size() {
    return ids - free;
  }

  /**
   * Which span of this pool's life it is in: within one, each id in use names one text, since
   * only {@link #retainOnly} frees ids for other texts, and it starts the next.
   */
  long generation() {
    return generation;
  }

  /** The largest id in use plus one: ids are below it. */
  int idLimit() {
    return ids;
  }

  /**
   * Drops every text whose id is not in {@code kept}; their ids may be given out again. Returns
   * whether the texts kept moved ({@link #startOf} changed), their bytes packed anew.
   */
  boolean retainOnly(BitSet kept) {
    boolean dropped = false;
    for (int id = 0; id < ids; id++) {
      if (offsets[id] >= 0 && !kept.get(id)) {
        dead += 2 + lengthAt(offsets[id]);
        offsets[id] = -1;
        if (free == freeIds.length) {
          freeIds = Arrays.copyOf(freeIds, free * 2);
        }
        freeIds[free++] = id;
        dropped = true;
      }
    }
    if (!dropped) {
      return false;
    }
    generation++;
    boolean moved = dead > end / 2;
    if (moved) {
      reclaim();
    }
    rebuildTable(size());
    return moved;
  }

  private int find(byte[] utf8, int hash) {
    return find(table, utf8, 0, utf8.length, hash);
  }

  /** The id in {@code table} of the text {@code length} bytes of {@code utf8} from {@code from}. */
  private int find(SlotTable table, byte[] utf8, int from, int length, int hash) {
    IntBuffer cells = table.cells;
    for (int at = SlotTable.start(cells, hash); cells.get(at) != SlotTable.EMPTY;
        at = SlotTable.next(cells, at)) {
      int id = SlotTable.candidate(cells, at, hash);
      if (id >= 0 && lengthAt(offsets[id]) == length && Arrays.equals(bytes, offsets[id] + 2,
          offsets[id] + 2 + length, utf8, from, from + length)) {
        return id;
      }
    }
    return -1;
  }

  private int append(byte[] utf8) {
    if (utf8.length > 0xFFFF) {
      throw new IllegalArgumentException("text longer than 65535 bytes");
    }
    if (end + 2 + utf8.length > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length + bytes.length / 2, end + 2 + utf8.length));
    }
    int at = end;
    bytes[at] = (byte) (utf8.length >>> 8);
    bytes[at + 1] = (byte) utf8.length;
    System.arraycopy(utf8, 0, bytes, at + 2, utf8.length);
    end += 2 + utf8.length;
    return at;
  }

  /** Copies the texts still held into a new array, closing the gaps the dropped ones left. */
  private void reclaim() {
    byte[] packed = new byte[Math.max(1024, (end - dead) * 3 / 2)];
    int at = 0;
    for (int id = 0; id < ids; id++) {
      if (offsets[id] >= 0) {
        int size = 2 + lengthAt(offsets[id]);
        System.arraycopy(bytes, offsets[id], packed, at, size);
        offsets[id] = at;
        at += size;
      }
    }
    bytes = packed;
    end = at;
    dead = 0;
  }

  /** Gives back the room kept for growth beyond a little ({@link Room}). */
  void trim() {
    if (!Room.fits(bytes.length, end)) {
      bytes = Arrays.copyOf(bytes, Room.around(end));
    }
    if (!Room.fits(offsets.length, ids)) {
      offsets = Arrays.copyOf(offsets, Room.around(ids));
    }
    if (table.isLooseFor(size())) {
      rebuildTable(SlotTable.tight(size()));
    }
  }

  private void rebuildTable(int expected) {
    rebuildTable(SlotTable.growing(expected));
  }

  private void rebuildTable(SlotTable rebuilt) {
    for (int id = 0; id < ids; id++) {
      int at = offsets[id];
      if (at >= 0) {
        rebuilt.add(hash(bytes, at + 2, lengthAt(at)), id);
      }
    }
    table = rebuilt;
  }

  /** A hash keyed by this pool's seed, eight bytes a step. */
  private int hash(byte[] in, int from, int length) {
    long h = seed ^ length;
    int i = from;
    for (int end = from + length - Long.BYTES; i <= end; i += Long.BYTES) {
      h = (h ^ (long) LONGS.get(in, i)) * 0x9E37_79B9_7F4A_7C15L;
      h ^= h >>> 29;
    }
    long tail = 0;
    for (int shift = 0; i < from + length; i++, shift += 8) {
      tail |= (in[i] & 0xFFL) << shift;
    }
    h = (h ^ tail) * 0x9E37_79B9_7F4A_7C15L;
    h ^= h >>> 29;
    h = (h ^ (h >>> 32)) * 0xD6E8_FEB8_6659_FD93L;
    h ^= h >>> 32;
    return (int) h;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
}
