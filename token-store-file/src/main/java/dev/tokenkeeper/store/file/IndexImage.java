package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;

/**
 * The plain sessions of a {@link CompactLiveIndex} as memory holds them, for a snapshot (format
 * 5): its slots, its two tables, its subjects' list heads and its text pool, each a section of
 * little-endian words with a CRC32C of its own, written raw after the image's record
 * ({@link LogEntry.Image}). Open maps the slots and tables copy-on-write and reads the text pool
 * in bulk: no session is decoded or inserted one by one, which is what opens a million sessions
 * in well under a second. Sessions that are not plain are left out (their slots written free,
 * their cells removed) and written as records after the image. Each subject's list is written
 * in ascending slot order.
 *
 * <p>CRC32C finds damage. Beyond the checksums, {@link #read} refuses an image whose parts do not
 * hold together ({@link ImageCheck}): nothing in it can break a read, every session is found by
 * its id and by its token, no id, token or text is held twice, and each subject's list holds
 * exactly its sessions. What a forged image can still do is what any forged record can: hold
 * sessions nobody was issued.
 */
final class IndexImage {

  /** The sections, in the order they follow the image's record, and their element sizes. */
  enum Section {
    SLOTS(SlotArena.SLOT_BYTES),
    FREE_SLOTS(Integer.BYTES),
    DIGEST_CELLS(Integer.BYTES),
    ID_CELLS(Integer.BYTES),
    SUBJECT_HEADS(Integer.BYTES),
    TEXT_OFFSETS(Integer.BYTES),
    FREE_TEXT_IDS(Integer.BYTES),
    TEXT_TABLE(Integer.BYTES),
    TEXT_BYTES(1);

    final int width;

    Section(int width) {
      this.width = width;
    }
  }

  private static final Section[] SECTIONS = Section.values();

  /**
   * The image's record: each section's element count and checksum, the bytes of dropped texts
   * the pool has not reclaimed yet, the seed its text table is hashed with, and the hashes its
   * digest and id tables place their keys by ({@link KeyHash#FORMAT_5}'s in a format 5 image).
   */
  record Header(int[] counts, int[] checksums, int deadTextBytes, long textSeed,
      KeyHash digestKeys, KeyHash idKeys) {

    Header {
      Objects.requireNonNull(digestKeys, "digestKeys");
      Objects.requireNonNull(idKeys, "idKeys");
      counts = counts.clone();
      checksums = checksums.clone();
      if (counts.length != SECTIONS.length || checksums.length != SECTIONS.length) {
        throw new IllegalArgumentException("an image has " + SECTIONS.length + " sections");
      }
      for (int count : counts) {
        if (count < 0) {
          throw new IllegalArgumentException("a section of an image counts " + count);
        }
      }
      for (Section section : SECTIONS) {
        if (section != Section.SLOTS
            && (long) counts[section.ordinal()] * section.width > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("section " + section + " of an image is too large");
        }
      }
    }

    int count(Section section) {
      return counts[section.ordinal()];
    }

    long bytes(Section section) {
      return (long) count(section) * section.width;
    }

    /** Where {@code section} starts, from the end of the image's record. */
    long offset(Section section) {
      long offset = 0;
      for (int i = 0; i < section.ordinal(); i++) {
        offset += bytes(SECTIONS[i]);
      }
      return offset;
    }

    /** The bytes of every section together. */
    long rawBytes() {
      return offset(Section.TEXT_BYTES) + bytes(Section.TEXT_BYTES);
    }

    @Override
    public int[] counts() {
      return counts.clone();
    }

    @Override
    public int[] checksums() {
      return checksums.clone();
    }
  }

  /**
   * Where an image's raw sections are read from: {@code length} bytes from {@code offset}, in a
   * buffer of that capacity whose position is 0 (slots are read in bulk from the position, and
   * field by field from index 0).
   */
  interface Source {
    ByteBuffer map(long offset, int length) throws IOException;
  }

  /** Where an image's raw sections are written, in order. */
  interface Output {
    void write(ByteBuffer bytes) throws IOException;
  }

  private IndexImage() {}

  // ---- writing

  /**
   * What an index hands the writer: its arrays as they are, read under the index's lock until
   * the image is written; and the uses it keeps beside its slots, not yet in them (null for
   * none), which the image writes into them.
   */
  record Layout(SlotArena slots, int slotLimit, int[] freeSlots, int freeSlotCount,
      SlotTable byDigest, SlotTable byId, int[] subjectHeads, TextPool.Parts texts,
      PendingUses pendingUses) {}

  /**
   * Writes {@code layout}'s plain sessions as an image: its record, then its sections. Made and
   * used under the index's lock: which slots are plain is read once, as it is made.
   */
  static final class Writer {
    private final Layout layout;
    private final int[] notPlain;
    /** Each plain slot's successor in its subject's list as written, plus one; 0 for none. */
    private final int[] nextUp;
    /** Each subject's first plain slot plus one, by its text id; 0 for none. */
    private final int[] headsUp;
    /**
     * The plain slots: a cell naming any other is written removed. Known from one pass in order,
     * where asking each cell's slot is a read at random among the slots for every cell, twice
     * (the record's checksums, then the sections).
     */
    private final BitSet plain;

    Writer(Layout layout) {
      this.layout = layout;
      this.notPlain = IntStream.range(0, layout.slotLimit)
          .filter(slot -> state(layout.slots, slot) > 0).toArray();
      // Each list written in ascending slot order, whatever order memory links it in, so an
      // open checks every list in the one pass it makes over the slots (ImageCheck).
      this.nextUp = new int[layout.slotLimit];
      // One head for each text id (at least 16), whatever room the live array keeps: the room
      // is not written, and images of the same texts have as many heads.
      this.headsUp = new int[Math.max(16, layout.texts.ids())];
      this.plain = new BitSet(layout.slotLimit);
      for (int slot = layout.slotLimit - 1; slot >= 0; slot--) {
        if (state(layout.slots, slot) == CompactLiveIndex.PLAIN) {
          plain.set(slot);
          int subject = subjectOf(layout.slots, slot);
          nextUp[slot] = headsUp[subject];
          headsUp[subject] = slot + 1;
        }
      }
    }

    /** The image's record: counts and checksums, found by writing every section to a CRC. */
    Header header() throws IOException {
      int[] counts = {layout.slotLimit, layout.freeSlotCount + notPlain.length,
          layout.byDigest.cells.limit(), layout.byId.cells.limit(), headsUp.length,
          layout.texts.ids(), layout.texts.free(), layout.texts.table().limit(),
          layout.texts.end()};
      int[] checksums = new int[SECTIONS.length];
      for (Section section : SECTIONS) {
        CRC32C crc = new CRC32C();
        write(section, bytes -> crc.update(bytes));
        checksums[section.ordinal()] = (int) crc.getValue();
      }
      return new Header(counts, checksums, layout.texts.dead(), layout.texts.seed(),
          layout.byDigest.keys, layout.byId.keys);
    }

    /** What this writer writes. */
    Layout layout() {
      return layout;
    }

    /** Writes every section, in order, to {@code out}. */
    void writeTo(Output out) throws IOException {
      for (Section section : SECTIONS) {
        write(section, out);
      }
    }

    private void write(Section section, Output out) throws IOException {
      Chunker chunker = new Chunker(out);
      switch (section) {
        case SLOTS -> writeSlots(chunker);
        case FREE_SLOTS -> {
          chunker.ints(layout.freeSlots, layout.freeSlotCount);
          chunker.ints(notPlain, notPlain.length);
        }
        case DIGEST_CELLS -> writeCells(chunker, layout.byDigest.cells);
        case ID_CELLS -> writeCells(chunker, layout.byId.cells);
        case SUBJECT_HEADS -> chunker.ints(headsUp, headsUp.length);
        case TEXT_OFFSETS -> chunker.ints(layout.texts.offsets(), layout.texts.ids());
        case FREE_TEXT_IDS -> chunker.ints(layout.texts.freeIds(), layout.texts.free());
        case TEXT_TABLE -> chunker.ints(layout.texts.table());
        case TEXT_BYTES -> chunker.bytes(layout.texts.bytes(), layout.texts.end());
        default -> throw new AssertionError(section);
      }
      chunker.flush();
    }

    /**
     * Each plain slot as it is but for its link, the list's order as written, and its uses with
     * any kept beside it; every other slot (free, or a session left out) written free. Read and
     * written a block of slots at a time.
     */
    private void writeSlots(Chunker out) throws IOException {
      long[] block = new long[BLOCK_SLOTS * SlotArena.SLOT_LONGS];
      for (int first = 0; first < layout.slotLimit; ) {
        int count = Math.min(BLOCK_SLOTS, layout.slotLimit - first);
        layout.slots.read(first, count, block);
        for (int i = 0; i < count; i++) {
          int slot = first + i;
          int links = i * SlotArena.SLOT_LONGS + CompactLiveIndex.LINKS;
          if (plain.get(slot)) {
            block[links] = CompactLiveIndex.pack(nextUp[slot], CompactLiveIndex.PLAIN);
            if (layout.pendingUses != null) {
              int used = i * SlotArena.SLOT_LONGS + CompactLiveIndex.LAST_USED;
              int expires = i * SlotArena.SLOT_LONGS + CompactLiveIndex.EXPIRES;
              block[used] = layout.pendingUses.used(slot, block[used]);
              block[expires] = layout.pendingUses.expires(slot, block[expires]);
            }
          } else {
            Arrays.fill(block, i * SlotArena.SLOT_LONGS, links, 0L);
            block[links] = CompactLiveIndex.pack(0, CompactLiveIndex.FREE);
          }
        }
        out.longs(block, count * SlotArena.SLOT_LONGS);
        first += count;
      }
    }

    /** A slot table's cells, those of the slots left out removed. */
    private void writeCells(Chunker out, IntBuffer cells) throws IOException {
      int[] block = new int[BLOCK_CELLS];
      for (int from = 0; from < cells.limit(); ) {
        int count = Math.min(BLOCK_CELLS, cells.limit() - from);
        cells.get(from, block, 0, count);
        for (int i = 0; i < count; i++) {
          int slot = SlotTable.slotIn(block[i]);
          if (slot >= 0 && !plain.get(slot)) {
            block[i] = SlotTable.REMOVED;
          }
        }
        out.ints(block, count);
        from += count;
      }
    }
  }

  /** Slots, and cells, the writer copies at a time: 44 KiB and 16 KiB. */
  private static final int BLOCK_SLOTS = 512;
  private static final int BLOCK_CELLS = 4096;

  /** Buffers little-endian words into large writes. */
  private static final class Chunker {
    private final Output out;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(SlotArena.ORDER);

    Chunker(Output out) {
      this.out = out;
    }

    /** The first {@code count} of {@code values}, copied as many at a time as fit. */
    void ints(int[] values, int count) throws IOException {
      for (int at = 0; at < count; ) {
        int n = Math.min(count - at, room(Integer.BYTES).remaining() / Integer.BYTES);
        buffer.asIntBuffer().put(values, at, n);
        buffer.position(buffer.position() + n * Integer.BYTES);
        at += n;
      }
    }

    void ints(IntBuffer values) throws IOException {
      int[] block = new int[BLOCK_CELLS];
      for (int from = 0; from < values.limit(); ) {
        int count = Math.min(BLOCK_CELLS, values.limit() - from);
        values.get(from, block, 0, count);
        ints(block, count);
        from += count;
      }
    }

    /** The first {@code count} of {@code values}, likewise. */
    void longs(long[] values, int count) throws IOException {
      for (int at = 0; at < count; ) {
        int n = Math.min(count - at, room(Long.BYTES).remaining() / Long.BYTES);
        buffer.asLongBuffer().put(values, at, n);
        buffer.position(buffer.position() + n * Long.BYTES);
        at += n;
      }
    }

    void bytes(byte[] values, int count) throws IOException {
      for (int at = 0; at < count; ) {
        int n = Math.min(count - at, room(1).remaining());
        buffer.put(values, at, n);
        at += n;
      }
    }

    private ByteBuffer room(int bytes) throws IOException {
      if (buffer.remaining() < bytes) {
        flush();
      }
      return buffer;
    }

    void flush() throws IOException {
      if (buffer.position() > 0) {
        out.write(buffer.flip());
        buffer.clear();
      }
    }
  }

  // ---- reading

  /** An index's arrays read back from an image, checked; the slots are mapped, not copied. */
  record Parts(SlotArena slots, int slotLimit, int[] freeSlots, SlotTable byDigest,
      SlotTable byId, int[] subjectHeads, TextPool texts, int sessions) {}

  /**
   * Reads the image {@code header} describes from {@code source}: the slots and tables mapped
   * copy-on-write where the source maps, every other section copied into arrays, each checked
   * against its checksum, then checked as the class comment says.
   *
   * @throws IllegalArgumentException if a section's checksum does not match or the image does
   *     not hold together
   */
  static Parts read(Header header, Source source) throws IOException {
    try {
      return readMapped(header, source);
    } catch (InternalError e) {
      // How a mapped page that cannot be read (an I/O error, a file cut short) surfaces.
      throw new IOException("the image's pages cannot be read: " + e.getMessage(), e);
    }
  }

  private static Parts readMapped(Header header, Source source) throws IOException {
    int slotLimit = header.count(Section.SLOTS);
    if (slotLimit > CompactLiveIndex.MAX_SLOTS) {
      throw new IllegalArgumentException("an image of " + slotLimit + " slots");
    }
    List<ByteBuffer> regions = new ArrayList<>();
    long slotsAt = header.offset(Section.SLOTS);
    for (long done = 0; done < header.bytes(Section.SLOTS); done += SlotArena.CHUNK_BYTES) {
      int length = (int) Math.min(SlotArena.CHUNK_BYTES, header.bytes(Section.SLOTS) - done);
      regions.add(source.map(slotsAt + done, length));
    }
    SlotArena slots = SlotArena.mapped(regions);
    int[] freeSlots = ints(section(header, Section.FREE_SLOTS, source));
    // The texts, their offsets and the heads with room to grow (Room); an offset past the pool's
    // ids is -1, a text not held, as a slot naming one is then refused.
    IntBuffer offsetsRead = section(header, Section.TEXT_OFFSETS, source).asIntBuffer();
    int textIds = offsetsRead.remaining();
    int[] textOffsets = ints(offsetsRead, Room.around(textIds));
    Arrays.fill(textOffsets, textIds, textOffsets.length, -1);
    IntBuffer headsRead = section(header, Section.SUBJECT_HEADS, source).asIntBuffer();
    int[] subjectHeads = ints(headsRead, Room.around(headsRead.remaining()));
    int[] freeTextIds = ints(section(header, Section.FREE_TEXT_IDS, source));
    // The larger sections' checksums are read by the threads that use them (ImageCheck).
    ByteBuffer digestBytes = unchecked(header, Section.DIGEST_CELLS, source);
    ByteBuffer idBytes = unchecked(header, Section.ID_CELLS, source);
    ByteBuffer textTable = unchecked(header, Section.TEXT_TABLE, source);
    ByteBuffer textBytes = unchecked(header, Section.TEXT_BYTES, source);
    MappedSections sections = new MappedSections(header, regions, digestBytes, idBytes, textTable,
        textBytes, textOffsets, textIds, freeTextIds);
    return new ImageCheck(slots, slotLimit, header.digestKeys(), header.idKeys()).check(
        sections, freeSlots, cells(digestBytes), cells(idBytes), subjectHeads, textOffsets,
        textIds);
  }

  /** An image's sections as {@link ImageCheck} reads them, their checksums when it asks. */
  private static final class MappedSections implements ImageCheck.Sections {
    private final Header header;
    private final List<ByteBuffer> slotRegions;
    private final ByteBuffer digestCells;
    private final ByteBuffer idCells;
    private final ByteBuffer textTable;
    private final ByteBuffer textBytes;
    private final int[] textOffsets;
    private final int textIds;
    private final int[] freeTextIds;

    MappedSections(Header header, List<ByteBuffer> slotRegions, ByteBuffer digestCells,
        ByteBuffer idCells, ByteBuffer textTable, ByteBuffer textBytes, int[] textOffsets,
        int textIds, int[] freeTextIds) {
      this.header = header;
      this.slotRegions = slotRegions;
      this.digestCells = digestCells;
      this.idCells = idCells;
      this.textTable = textTable;
      this.textBytes = textBytes;
      this.textOffsets = textOffsets;
      this.textIds = textIds;
      this.freeTextIds = freeTextIds;
    }

    @Override
    public void checkSlotsSum() {
      CRC32C crc = new CRC32C();
      for (ByteBuffer region : slotRegions) {
        crc.update(region.duplicate());
      }
      verify(header, Section.SLOTS, crc);
    }

    @Override
    public void checkTablesSum() {
      verify(header, Section.DIGEST_CELLS, digestCells);
      verify(header, Section.ID_CELLS, idCells);
    }

    @Override
    public TextPool.Parts texts() {
      verify(header, Section.TEXT_TABLE, textTable);
      verify(header, Section.TEXT_BYTES, textBytes);
      int end = textBytes.remaining();
      byte[] copied = new byte[Room.around(end)];
      textBytes.duplicate().get(copied, 0, end);
      return new TextPool.Parts(copied, end, header.deadTextBytes(), textOffsets, textIds,
          freeTextIds, freeTextIds.length, header.textSeed(), cells(textTable));
    }
  }

  /** A section as it is, its checksum not yet read. */
  private static ByteBuffer unchecked(Header header, Section section, Source source)
      throws IOException {
    return source.map(header.offset(section), (int) header.bytes(section)).order(SlotArena.ORDER);
  }

  private static ByteBuffer section(Header header, Section section, Source source)
      throws IOException {
    ByteBuffer bytes = unchecked(header, section, source);
    verify(header, section, bytes);
    return bytes;
  }

  /**
   * A table's cells: mapped, if the source maps, as they are (they are copied only where
   * written); else copied into an array, so that a table is one of two kinds of buffer.
   */
  private static IntBuffer cells(ByteBuffer bytes) {
    return bytes.isDirect() ? bytes.asIntBuffer() : IntBuffer.wrap(ints(bytes));
  }

  private static int[] ints(ByteBuffer bytes) {
    return ints(bytes.asIntBuffer(), bytes.remaining() / Integer.BYTES);
  }

  /** The ints of {@code read} at the start of an array of {@code length}. */
  private static int[] ints(IntBuffer read, int length) {
    int[] values = new int[length];
    read.get(values, 0, read.remaining());
    return values;
  }

  private static void verify(Header header, Section section, ByteBuffer bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes.duplicate());
    verify(header, section, crc);
  }

  private static void verify(Header header, Section section, CRC32C crc) {
    if ((int) crc.getValue() != header.checksums[section.ordinal()]) {
      throw new IllegalArgumentException("checksum mismatch in section " + section
          + " of the image");
    }
  }

  static int state(SlotArena slots, int slot) {
    return (int) slots.get(slot, CompactLiveIndex.LINKS);
  }

  static int subjectOf(SlotArena slots, int slot) {
    return (int) (slots.get(slot, CompactLiveIndex.TEXTS) >>> 32);
  }
}
