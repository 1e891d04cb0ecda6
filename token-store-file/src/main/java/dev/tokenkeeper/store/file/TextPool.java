package dev.tokenkeeper.store.file;

import java.nio.ByteBuffer;
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
 * names are an attacker's to pick) cannot line up a long probe. Not thread-safe: written under the
 * index's lock; {@link #text} may be called optimistically, as the index validates after it.
 */
final class TextPool {

  private static final long SEED = new SecureRandom().nextLong();

  private byte[] bytes = new byte[1024];
  private int end;
  private int dead;
  /** Where each id's text starts in {@code bytes} (a two-byte length, then UTF-8); -1 if free. */
  private int[] offsets = new int[64];
  private int ids;
  private int[] freeIds = new int[16];
  private int free;
  private SlotTable table = SlotTable.growing(16);

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
   * Subjects never hold one;
   * a label that does is kept by its session's records, and a query that does names no text.
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

  /** The text of {@code id}. */
  String text(int id) {
    byte[] in = bytes;
    int at = offsets[id];
    int length = ((in[at] & 0xFF) << 8) | (in[at + 1] & 0xFF);
    return new String(in, at + 2, length, StandardCharsets.UTF_8);
  }

  /** Writes the text of {@code id} to {@code out} as a two-byte length and its UTF-8 bytes. */
  void copyTo(int id, ByteBuffer out) {
    int at = offsets[id];
    out.put(bytes, at, 2 + length(at));
  }

  /** How many bytes {@link #copyTo} writes for {@code id}. */
  int copySize(int id) {
    return 2 + length(offsets[id]);
  }

  /** How many ids are in use. */
  int size() {
    return ids - free;
  }

  /** The largest id in use plus one: ids are below it. */
  int idLimit() {
    return ids;
  }

  /** Drops every text whose id is not in {@code kept}; their ids may be given out again. */
  void retainOnly(BitSet kept) {
    boolean dropped = false;
    for (int id = 0; id < ids; id++) {
      if (offsets[id] >= 0 && !kept.get(id)) {
        dead += 2 + length(offsets[id]);
        offsets[id] = -1;
        if (free == freeIds.length) {
          freeIds = Arrays.copyOf(freeIds, free * 2);
        }
        freeIds[free++] = id;
        dropped = true;
      }
    }
    if (!dropped) {
      return;
    }
    if (dead > end / 2) {
      reclaim();
    }
    rebuildTable(size());
  }

  private int find(byte[] utf8, int hash) {
    int[] cells = table.cells;
    for (int at = SlotTable.start(cells, hash); cells[at] != SlotTable.EMPTY;
        at = SlotTable.next(cells, at)) {
      int id = SlotTable.candidate(cells, at, hash);
      if (id >= 0 && matches(offsets[id], utf8)) {
        return id;
      }
    }
    return -1;
  }

  private boolean matches(int at, byte[] utf8) {
    return length(at) == utf8.length
        && Arrays.equals(bytes, at + 2, at + 2 + utf8.length, utf8, 0, utf8.length);
  }

  private int length(int at) {
    return ((bytes[at] & 0xFF) << 8) | (bytes[at + 1] & 0xFF);
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
        int size = 2 + length(offsets[id]);
        System.arraycopy(bytes, offsets[id], packed, at, size);
        offsets[id] = at;
        at += size;
      }
    }
    bytes = packed;
    end = at;
    dead = 0;
  }

  /** Gives back the room kept for growth. */
  void trim() {
    bytes = Arrays.copyOf(bytes, Math.max(end, 16));
    offsets = Arrays.copyOf(offsets, Math.max(ids, 16));
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
        rebuilt.add(hash(bytes, at + 2, length(at)), id);
      }
    }
    table = rebuilt;
  }

  private static int hash(byte[] in, int from, int length) {
    long h = SEED ^ length;
    for (int i = from; i < from + length; i++) {
      h = (h ^ (in[i] & 0xFF)) * 0x9E37_79B9_7F4A_7C15L;
      h ^= h >>> 29;
    }
    h ^= h >>> 32;
    return (int) h;
  }
}
