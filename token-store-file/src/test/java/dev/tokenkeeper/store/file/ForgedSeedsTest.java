package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.store.file.IndexImage.Section;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 6 images whose record names other seeds than their tables were built under, with the
 * frame's checksum made to match (the store writes the frame): each is refused as damage, or
 * opens serving every token's own session, every session by its id, and every logout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForgedSeedsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SESSIONS = 2_000;

  @TempDir
  Path tmp;

  private final long seed = Long.getLong("tokenkeeper.test.seed", 0x5EED_0012L);
  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();
  private int stores;

  private ImageRoundTrip.Written written() {
    System.out.println("ForgedSeedsTest: seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    LiveIndex index = LiveIndex.create();
    RandomSessions.fill(index, random, SESSIONS, 50, T0, ids, hashes);
    index.trim();
    return ImageRoundTrip.write(index);
  }

  @Test
  void anotherDigestSeed_isRefused_orServes() throws IOException {
    ImageRoundTrip.Written w = written();
    assertRefusedOrServes(labelled(w, KeyHash.of(seed + 1), w.header().idKeys()));
  }

  @Test
  void anotherIdSeed_isRefused_orServes() throws IOException {
    ImageRoundTrip.Written w = written();
    assertRefusedOrServes(labelled(w, w.header().digestKeys(), KeyHash.of(seed + 2)));
  }

  @Test
  void theSeedsSwapped_areRefused_orServe() throws IOException {
    ImageRoundTrip.Written w = written();
    assertRefusedOrServes(labelled(w, w.header().idKeys(), w.header().digestKeys()));
  }

  @Test
  void tablesBuiltUnderAnotherSeed_andLabelledSo_serve() throws IOException {
    ImageRoundTrip.Written w = written();
    KeyHash other = KeyHash.of(seed + 3);
    ImageRoundTrip.Written rebuilt = labelled(placedUnder(w, other, other), other, other);
    assertServes(open(rebuilt).orElseThrow(() -> new AssertionError("a consistent image")));
  }

  @Test
  void tablesBuiltUnderTheFormat5Hash_butLabelledKeyed_areRefused_orServe() throws IOException {
    ImageRoundTrip.Written w = written();
    assertRefusedOrServes(placedUnder(w, KeyHash.FORMAT_5, KeyHash.FORMAT_5));
  }

  @Test
  void tablesBuiltUnderAnotherSeed_labelledWithTheImagesOwn_areRefused_orServe()
      throws IOException {
    ImageRoundTrip.Written w = written();
    KeyHash other = KeyHash.of(seed + 4);
    assertRefusedOrServes(placedUnder(w, other, other));
  }

  /** {@code w} with its record naming {@code digestKeys} and {@code idKeys}. */
  private static ImageRoundTrip.Written labelled(ImageRoundTrip.Written w, KeyHash digestKeys,
      KeyHash idKeys) {
    IndexImage.Header h = w.header();
    return ForgedImageTest.with(w, w.raw(), new IndexImage.Header(h.counts(), h.checksums(),
        h.deadTextBytes(), h.textSeed(), digestKeys, idKeys));
  }

  /** {@code w} with its tables' cells placed anew, as an index would, under other hashes. */
  private static ImageRoundTrip.Written placedUnder(ImageRoundTrip.Written w, KeyHash digestKeys,
      KeyHash idKeys) {
    ByteBuffer slots = ForgedImageTest.section(w.raw(), w.header(), Section.SLOTS);
    ImageRoundTrip.Written forged = ForgedImageTest.forge(w, Section.DIGEST_CELLS,
        cells -> place(cells.asIntBuffer(), slots, CompactLiveIndex.DIGEST, digestKeys));
    return ForgedImageTest.forge(forged, Section.ID_CELLS,
        cells -> place(cells.asIntBuffer(), slots, CompactLiveIndex.ID_HIGH, idKeys));
  }

  private static void place(IntBuffer cells, ByteBuffer slots, int field, KeyHash keys) {
    for (int at = 0; at < cells.limit(); at++) {
      cells.put(at, SlotTable.EMPTY);
    }
    int slotBytes = SlotArena.SLOT_LONGS * Long.BYTES;
    for (int slot = 0; slot < slots.limit() / slotBytes; slot++) {
      int base = slot * slotBytes;
      if ((int) slots.getLong(base + CompactLiveIndex.LINKS * Long.BYTES)
          != CompactLiveIndex.PLAIN) {
        continue;
      }
      long[] w = new long[4];
      for (int i = 0; i < 4; i++) {
        w[i] = slots.getLong(base + (field + i) * Long.BYTES);
      }
      int hash = field == CompactLiveIndex.ID_HIGH ? keys.id(w[0], w[1])
          : keys.digest(w[0], w[1], w[2], w[3]);
      int at = SlotTable.start(cells, hash);
      while (cells.get(at) != SlotTable.EMPTY) {
        at = SlotTable.next(cells, at);
      }
      cells.put(at, SlotTable.cellFor(hash, slot));
    }
  }

  private void assertRefusedOrServes(ImageRoundTrip.Written forged) throws IOException {
    open(forged).ifPresent(this::assertServes);
  }

  /** The store over {@code forged}, or empty if the open refused it as damaged. */
  private Optional<FileTokenStore> open(ImageRoundTrip.Written forged) throws IOException {
    Path dir = ForgedImageTest.store(tmp.resolve("store" + stores++), forged);
    try {
      return Optional.of(FileTokenStore.builder().directory(dir).clock(new MutableClock(T0))
          .build());
    } catch (StoreCorruptedException refused) {
      return Optional.empty();
    }
  }

  private void assertServes(FileTokenStore store) {
    try (store) {
      assertEquals(SESSIONS, store.liveCount());
      for (int n = 0; n < SESSIONS; n++) {
        Optional<TokenEntry> entry = store.find(hashes.get(n));
        assertTrue(entry.isPresent(), "token " + n + " not found");
        assertEquals(ids.get(n), entry.get().session().id(), "token " + n + "'s session");
        assertTrue(store.findSession(ids.get(n)).isPresent(), "session " + n + " by its id");
        assertTrue(store.revokeSession(ids.get(n), T0.plusSeconds(1)),
            "session " + n + " logs out");
      }
      assertEquals(0, store.liveCount());
    }
  }
}
