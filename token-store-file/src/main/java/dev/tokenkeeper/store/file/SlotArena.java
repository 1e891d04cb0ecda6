package dev.tokenkeeper.store.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The slots of a {@link CompactLiveIndex}: records of {@value #SLOT_LONGS} {@code long}s in
 * chunks of {@value #CHUNK_SLOTS} slots, each a {@link ByteBuffer}. A chunk is either a
 * snapshot image's slots mapped copy-on-write ({@link #mapped}) or an array on the heap. Mapped,
 * the pages come from the file's cache a few at a time and are copied only once written, where
 * each page of a new array is faulted in and zeroed one by one (about a third of a second for
 * the 88 MB of a million sessions on a small virtual machine). Chunks are never moved once full,
 * so growing copies at most the first, small one; a full chunk is a humongous object the
 * collector never copies.
 *
 * <p>Not thread-safe: written under the index's lock. Lookups read optimistically: a new chunk
 * is published through a volatile field, so a reader sees a buffer only once it is whole, and a
 * buffer a reader holds stays valid until it is unreachable.
 */
final class SlotArena {

  static final int SLOT_LONGS = 11;
  static final int SLOT_BYTES = SLOT_LONGS * Long.BYTES;
  /**
   * A chunk on the heap is an array of just under 4 MiB (with its header): the collector keeps
   * a large array in whole regions of 1 to 32 MiB, and one just over a power of two would waste
   * nearly a region (65,536-slot chunks took 172 bytes of heap a session at a million, not
   * 126). A constant, so dividing by it costs a multiplication.
   */
  static final int CHUNK_SLOTS = (4 * 1024 * 1024 - 32) / SLOT_BYTES;
  static final int CHUNK_BYTES = CHUNK_SLOTS * SLOT_BYTES;
  private static final int FIRST_SLOTS = 16;
  /** Little-endian, the byte order of every machine the store is built for, and of its images. */
  static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

  /** Every chunk is {@link #CHUNK_SLOTS} slots but the last, which may be fewer. */
  private volatile ByteBuffer[] chunks;
  private int capacity;

  SlotArena() {
    chunks = new ByteBuffer[] {allocate(FIRST_SLOTS)};
    capacity = FIRST_SLOTS;
  }

  private SlotArena(ByteBuffer[] chunks, int capacity) {
    this.chunks = chunks;
    this.capacity = capacity;
  }

  /**
   * An arena over {@code regions}, a snapshot image's slots mapped copy-on-write: each a chunk of
   * {@link #CHUNK_BYTES}, the last possibly shorter, all a multiple of {@link #SLOT_BYTES}.
   */
  static SlotArena mapped(List<ByteBuffer> regions) {
    ByteBuffer[] chunks = new ByteBuffer[Math.max(1, regions.size())];
    long capacity = 0;
    for (int i = 0; i < regions.size(); i++) {
      ByteBuffer region = regions.get(i);
      boolean last = i == regions.size() - 1;
      if (region.capacity() % SLOT_BYTES != 0 || region.capacity() > CHUNK_BYTES
          || (!last && region.capacity() != CHUNK_BYTES)) {
        throw new IllegalArgumentException("a region of " + region.capacity()
            + " bytes is not a chunk of slots");
      }
      chunks[i] = region.order(ORDER);
      capacity += region.capacity() / SLOT_BYTES;
    }
    if (regions.isEmpty()) {
      chunks[0] = allocate(FIRST_SLOTS);
      capacity = FIRST_SLOTS;
    }
    return new SlotArena(chunks, (int) capacity);
  }

  /**
   * Copies the {@code count} slots from {@code first} on into {@code into}, {@value #SLOT_LONGS}
   * longs each: one bulk read, for passes over many slots, where reading a mapped buffer field
   * by field costs a call per field until the JIT inlines it.
   */
  void read(int first, int count, long[] into) {
    for (int done = 0; done < count; ) {
      int slot = first + done;
      int inChunk = Math.min(count - done, CHUNK_SLOTS - slot % CHUNK_SLOTS);
      chunks[slot / CHUNK_SLOTS].asLongBuffer().get((slot % CHUNK_SLOTS) * SLOT_LONGS, into,
          done * SLOT_LONGS, inChunk * SLOT_LONGS);
      done += inChunk;
    }
  }

  /** How many slots there is room for. */
  int capacity() {
    return capacity;
  }

  long get(int slot, int field) {
    return chunks[slot / CHUNK_SLOTS].getLong(at(slot, field));
  }

  void set(int slot, int field, long value) {
    chunks[slot / CHUNK_SLOTS].putLong(at(slot, field), value);
  }

  /** The chunk holding {@code slot}, for reading several of its fields with {@link #at}. */
  ByteBuffer chunkOf(int slot) {
    return chunks[slot / CHUNK_SLOTS];
  }

  /**
   * Whether {@code slot} is in a chunk {@linkplain #mapped mapped} from an image (the only chunks
   * not on the heap), whose pages are copied when first written.
   */
  boolean isMapped(int slot) {
    return chunkOf(slot).isDirect();
  }

  /** The chunks {@linkplain #mapped mapped} from an image, by index, ascending. */
  int[] mappedChunks() {
    ByteBuffer[] held = chunks;
    int[] mapped = new int[held.length];
    int count = 0;
    for (int i = 0; i < held.length; i++) {
      if (held[i].isDirect()) {
        mapped[count++] = i;
      }
    }
    return Arrays.copyOf(mapped, count);
  }

  /** How many bytes chunk {@code index} holds. */
  int chunkBytes(int index) {
    return chunks[index].capacity();
  }

  /**
   * An empty chunk on the heap of {@code bytes}, for {@link #copyChunk} and {@link #serveFrom}.
   * Made off the index's lock: its pages are faulted in and zeroed here, not while writers wait.
   */
  static ByteBuffer heapChunk(int bytes) {
    return ByteBuffer.allocate(bytes).order(ORDER);
  }

  /**
   * Copies mapped chunk {@code index} into {@code into}, a {@linkplain #heapChunk heap chunk} as
   * large; false, copying nothing, if that chunk is no longer mapped or no longer that size. A
   * copy made without the index's lock is whole only if no change was made meanwhile.
   */
  boolean copyChunk(int index, ByteBuffer into) {
    ByteBuffer chunk = mappedChunk(index, into);
    if (chunk == null) {
      return false;
    }
    into.put(0, chunk, 0, into.capacity());
    return true;
  }

  /**
   * Serves chunk {@code index} from {@code into}, a whole {@linkplain #copyChunk copy} of it, from
   * now on. Under the index's lock, with no change since the copy.
   */
  void serveFrom(int index, ByteBuffer into) {
    if (mappedChunk(index, into) == null) {
      throw new IllegalStateException("chunk " + index + " is not mapped or not that size");
    }
    ByteBuffer[] moved = chunks.clone();
    moved[index] = into;
    chunks = moved;
  }

  private ByteBuffer mappedChunk(int index, ByteBuffer like) {
    ByteBuffer[] held = chunks;
    boolean same = index < held.length && held[index].isDirect() && !like.isDirect()
        && held[index].capacity() == like.capacity();
    return same ? held[index] : null;
  }

  /** Where {@code field} of {@code slot} is in its {@linkplain #chunkOf chunk}. */
  static int at(int slot, int field) {
    return ((slot % CHUNK_SLOTS) * SLOT_LONGS + field) * Long.BYTES;
  }

  /** Zeroes every field of {@code slot}. */
  void clear(int slot) {
    ByteBuffer chunk = chunkOf(slot);
    int from = at(slot, 0);
    for (int field = 0; field < SLOT_LONGS; field++) {
      chunk.putLong(from + field * Long.BYTES, 0L);
    }
  }

  /** Makes room for {@code slots} slots, keeping every slot's fields. */
  void ensureCapacity(int slots) {
    if (slots <= capacity) {
      return;
    }
    ByteBuffer[] grown = chunks;
    int last = grown.length - 1;
    int lastSlots = grown[last].capacity() / SLOT_BYTES;
    if (lastSlots < CHUNK_SLOTS) {
      // Only the last chunk can be short: move it to a larger one (at most a full chunk).
      int wanted = slots - last * CHUNK_SLOTS;
      int size = (int) Math.min(CHUNK_SLOTS, Math.max(wanted, 2L * lastSlots));
      ByteBuffer larger = allocate(size);
      larger.put(0, grown[last], 0, grown[last].capacity());
      grown = grown.clone();
      grown[last] = larger;
      capacity = last * CHUNK_SLOTS + size;
    }
    int full = grown.length;
    while ((long) full * CHUNK_SLOTS < slots) {
      full++;
    }
    if (full > grown.length) {
      int from = grown.length;
      grown = Arrays.copyOf(grown, full);
      for (int i = from; i < full; i++) {
        grown[i] = allocate(CHUNK_SLOTS);
      }
      capacity = full * CHUNK_SLOTS;
    }
    chunks = grown;
  }

  /**
   * Gives back whole chunks past the first {@code slots} slots, which must hold nothing.
   */
  void trimTo(int slots) {
    int keep = Math.max(1, (int) ((slots + (long) CHUNK_SLOTS - 1) / CHUNK_SLOTS));
    if (keep < chunks.length) {
      chunks = Arrays.copyOf(chunks, keep);
      capacity = (keep - 1) * CHUNK_SLOTS + chunks[keep - 1].capacity() / SLOT_BYTES;
    }
  }

  private static ByteBuffer allocate(int slots) {
    return ByteBuffer.allocate(slots * SLOT_BYTES).order(ORDER);
  }
}
