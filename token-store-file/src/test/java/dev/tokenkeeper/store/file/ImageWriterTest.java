package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.store.file.IndexImage.Section;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The image writer's sections, written a block at a time and with the plain slots known from one
 * pass, byte for byte against a reference that writes them field by field and asks each cell's
 * slot, as the writer did before: over indexes with free slots, sessions left out of the image
 * (bound ones), removed cells, labels or none, and sizes around the writer's blocks.
 */
class ImageWriterTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void sections_areThoseOfTheFieldByFieldWriter() {
    SplittableRandom random = new SplittableRandom(20261205);
    int[] sizes = {0, 1, 2, 511, 512, 513, 1_024, 4_095, 4_096, 4_097, 6_000};
    for (int size : sizes) {
      for (int round = 0; round < 3; round++) {
        compare(index(random, size), size + "/" + round);
      }
    }
  }

  /**
   * Slots past an arena chunk's end, so a block read crosses from one chunk to the next; and an
   * index read back from an image, whose tables are buffers outside the heap.
   */
  @Test
  void sections_areThoseOfTheFieldByFieldWriter_acrossChunks_andFromAnImage() {
    SplittableRandom random = new SplittableRandom(5);
    LiveIndex large = index(random, SlotArena.CHUNK_SLOTS + 700);
    compare(large, "past a chunk");
    compare(ImageRoundTrip.read(ImageRoundTrip.write(index(random, 3_000))), "read back");
  }

  /**
   * An index read back from an image, then uses replayed into it, as an open's log tail holds
   * them: kept beside its slots ({@link PendingUses}), which the image writes into them.
   */
  @Test
  void sections_holdTheUsesKeptBesideTheSlots() {
    SplittableRandom random = new SplittableRandom(11);
    LiveIndex index = index(random, 3_000);
    List<SessionRecord> sessions = new ArrayList<>();
    index.forEachSession(sessions::add);
    LiveIndex read = ImageRoundTrip.read(ImageRoundTrip.write(index));
    for (SessionRecord session : sessions) {
      if (random.nextInt(3) == 0) {
        Instant used = T0.plusSeconds(1 + random.nextInt(600));
        read.touch(session.id(), used, used.plusSeconds(random.nextInt(7_200)));
      }
    }
    assertTrue(((CompactLiveIndex) read).pendingUses() > 500, "uses kept beside the slots");
    compare(read, "uses replayed");
  }

  private static void compare(LiveIndex index, String what) {
    int[] written = {0};
    try {
      index.snapshot(image -> {
        IndexImage.Layout layout = image.layout();
        assertArrayEquals(reference(layout), bytes(image), what);
        IndexImage.Header header = image.header();
        assertEquals(layout.slotLimit(), header.count(Section.SLOTS), what);
        assertEquals(layout.freeSlotCount() + countLeftOut(layout),
            header.count(Section.FREE_SLOTS), what);
        written[0]++;
      }, session -> { });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertEquals(1, written[0]);
  }

  private static byte[] bytes(IndexImage.Writer image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    image.writeTo(bytes -> {
      byte[] copy = new byte[bytes.remaining()];
      bytes.get(copy);
      out.write(copy, 0, copy.length);
    });
    return out.toByteArray();
  }

  /** Sessions of a few users, some bound (left out of the image), some revoked or expired. */
  private static LiveIndex index(SplittableRandom random, int size) {
    LiveIndex index = LiveIndex.create();
    List<SessionId> ids = new ArrayList<>();
    for (int n = 0; n < size; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      boolean bound = random.nextInt(10) == 0;
      long life = random.nextInt(4) == 0 ? 10 : 3_600;
      index.create(new SessionRecord(new Session(id, "user" + random.nextInt(1 + size / 3),
          random.nextBoolean() ? null : "label " + random.nextInt(5), T0, T0,
          T0.plusSeconds(life)), bound ? new ClientBinding("10.0.0.0/8", null) : null, null,
          null), List.of(TokenRecord.of(RandomSessions.hash(random), id)));
      ids.add(id);
    }
    for (SessionId id : ids) {
      if (random.nextInt(8) == 0) {
        index.revokeSession(id, T0.plusSeconds(1));
      }
    }
    if (random.nextBoolean()) {
      index.purgeExpired(T0.plusSeconds(20));
    }
    return index;
  }

  private static int countLeftOut(IndexImage.Layout layout) {
    return (int) IntStream.range(0, layout.slotLimit()).filter(slot -> state(layout, slot) > 0)
        .count();
  }

  private static int state(IndexImage.Layout layout, int slot) {
    return (int) layout.slots().get(slot, CompactLiveIndex.LINKS);
  }

  /** The sections as the writer wrote them before: field by field, each cell's slot asked. */
  private static byte[] reference(IndexImage.Layout layout) {
    int[] nextUp = new int[layout.slotLimit()];
    int[] headsUp = new int[Math.max(16, layout.texts().ids())];
    for (int slot = layout.slotLimit() - 1; slot >= 0; slot--) {
      if (state(layout, slot) == CompactLiveIndex.PLAIN) {
        int subject = IndexImage.subjectOf(layout.slots(), slot);
        nextUp[slot] = headsUp[subject];
        headsUp[subject] = slot + 1;
      }
    }
    int[] leftOut = IntStream.range(0, layout.slotLimit()).filter(slot -> state(layout, slot) > 0)
        .toArray();
    ByteBuffer out = ByteBuffer.allocate(1 << 24).order(SlotArena.ORDER);
    for (int slot = 0; slot < layout.slotLimit(); slot++) {
      boolean plain = state(layout, slot) == CompactLiveIndex.PLAIN;
      for (int field = 0; field < CompactLiveIndex.LINKS; field++) {
        long value = plain ? layout.slots().get(slot, field) : 0L;
        PendingUses kept = layout.pendingUses();
        if (plain && kept != null && field == CompactLiveIndex.LAST_USED) {
          value = kept.used(slot, value);
        } else if (plain && kept != null && field == CompactLiveIndex.EXPIRES) {
          value = kept.expires(slot, value);
        }
        out.putLong(value);
      }
      out.putLong(plain ? CompactLiveIndex.pack(nextUp[slot], CompactLiveIndex.PLAIN)
          : CompactLiveIndex.pack(0, CompactLiveIndex.FREE));
    }
    for (int i = 0; i < layout.freeSlotCount(); i++) {
      out.putInt(layout.freeSlots()[i]);
    }
    for (int slot : leftOut) {
      out.putInt(slot);
    }
    for (IntBuffer cells : List.of(layout.byDigest().cells, layout.byId().cells)) {
      for (int at = 0; at < cells.limit(); at++) {
        int cell = cells.get(at);
        int slot = SlotTable.slotIn(cell);
        out.putInt(slot >= 0 && state(layout, slot) != CompactLiveIndex.PLAIN
            ? SlotTable.REMOVED : cell);
      }
    }
    for (int head : headsUp) {
      out.putInt(head);
    }
    TextPool.Parts texts = layout.texts();
    for (int id = 0; id < texts.ids(); id++) {
      out.putInt(texts.offsets()[id]);
    }
    for (int i = 0; i < texts.free(); i++) {
      out.putInt(texts.freeIds()[i]);
    }
    for (int at = 0; at < texts.table().limit(); at++) {
      out.putInt(texts.table().get(at));
    }
    out.put(texts.bytes(), 0, texts.end());
    byte[] all = new byte[out.position()];
    out.flip().get(all);
    return all;
  }
}
