package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.store.file.IndexImage.Section;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images of the live index ({@link IndexImage}) damaged or forged section by section: a changed
 * byte fails its section's checksum, and a forgery with checksums made to match is refused if
 * anything in it could break a read (a reference out of range or to a free slot, a list that
 * loops, an impossible instant, a text a session may not have). Each is refused with a typed
 * error and leaves the index empty; in a store, the open names the snapshot.
 */
class ForgedImageTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir
  Path tmp;

  /**
   * Five plain sessions of two subjects (one purged, leaving a free slot and a dropped label),
   * and a bound one, left out of the image.
   */
  static ImageRoundTrip.Written written() {
    LiveIndex index = LiveIndex.create();
    for (int n = 1; n <= 6; n++) {
      SessionId id = SessionId.of(n, n);
      Instant expires = T0.plusSeconds(n == 3 ? 10 : 3600);
      index.create(new SessionRecord(new Session(id, n % 2 == 0 ? "alice" : "b\u00f6b",
          "label " + n, T0, T0, expires), n == 5 ? new ClientBinding("10.0.0.0/8", null) : null,
          null, null), List.of(TokenRecord.of(hash(n), id)));
    }
    assertEquals(1, index.purgeExpired(T0.plusSeconds(20)));
    return ImageRoundTrip.write(index);
  }

  static TokenHash hash(int n) {
    return TokenHash.sha256Words(n, n * 31L, n * 97L, 7);
  }

  @Test
  void theImage_readsBack_everySession() {
    LiveIndex read = ImageRoundTrip.read(written());
    assertEquals(5, read.sessionCount());
    assertEquals(3, read.findSessions("alice").size());
    assertEquals(2, read.findSessions("b\u00f6b").size());
    for (int n : new int[] {1, 2, 4, 5, 6}) {
      assertEquals(SessionId.of(n, n), read.find(hash(n)).orElseThrow().session().id());
    }
    assertTrue(read.find(hash(3)).isEmpty());
  }

  /**
   * Keys whose hashes all collide (as no digest or random session id does, but a caller of the
   * SPI may choose) make long probes: the image's tables are then built anew at open, not
   * refused, and every session is found as before, with its own subject.
   */
  @Test
  void keysThatCollide_openWithTheirTablesBuiltAnew() {
    LiveIndex index = LiveIndex.create();
    for (int n = 1; n <= 600; n++) {
      SessionId id = SessionId.of(n, n); // one id hash for all
      index.create(SessionRecord.of(new Session(id, "user" + n % 3, null, T0, T0,
          T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(
          TokenHash.sha256Words(7L << 32 | 7L, n, n, n), id))); // one digest hash for all
    }
    LiveIndex read = ImageRoundTrip.read(ImageRoundTrip.write(index));
    assertEquals(600, read.sessionCount());
    for (int n = 1; n <= 600; n++) {
      SessionId id = SessionId.of(n, n);
      Session found = read.find(TokenHash.sha256Words(7L << 32 | 7L, n, n, n)).orElseThrow()
          .session().session();
      assertEquals(id, found.id());
      assertEquals("user" + n % 3, found.subject(), "the subject of session " + n);
      assertTrue(read.revokeSession(id, T0.plusSeconds(1)), "session " + n + " is found by id");
    }
    assertEquals(200, read.findSessions("user1").size());
  }

  @Test
  void aChangedByteInAnySection_failsItsChecksum_andLeavesTheIndexEmpty() throws IOException {
    ImageRoundTrip.Written written = written();
    for (Section section : Section.values()) {
      if (written.header().bytes(section) == 0) {
        continue;
      }
      byte[] raw = written.raw().clone();
      raw[(int) (written.header().offset(section) + written.header().bytes(section) / 2)] ^= 1;
      LiveIndex index = LiveIndex.create();
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> index.loadImage(with(written, raw, written.header()).image()), section::name);
      assertTrue(refused.getMessage().contains("checksum mismatch in section " + section),
          refused.getMessage());
      assertEquals(0, index.sessionCount());
      index.loadImage(written.image()); // still empty: the good image loads
      assertEquals(4, index.sessionCount(), "the four plain sessions");
    }
  }

  @Test
  void forgedSlots_areRefused() {
    ImageRoundTrip.Written w = written();
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    int free = firstSlot(w, CompactLiveIndex.FREE);
    assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.LINKS),
        CompactLiveIndex.pack(0, 3))), "not plain");
    assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(free, CompactLiveIndex.LINKS),
        CompactLiveIndex.pack(plain + 1, CompactLiveIndex.FREE))), "links on");
    assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.EXPIRES),
        s.getLong(at(plain, CompactLiveIndex.CREATED)))), "impossible instants");
    assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.TEXTS),
        CompactLiveIndex.pack(1_000, -1))), "names a text");
    assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.TEXTS),
        CompactLiveIndex.pack(0, -7))), "names a text");
  }

  /**
   * The texts' offsets are read with room for more ids ({@link Room}), which hold no text: a slot
   * naming one, as its subject or its label, is refused like one naming an id past the array.
   */
  @Test
  void slotsNamingAnIdInTheRoomPastTheTexts_areRefused() {
    ImageRoundTrip.Written w = written();
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    int texts = w.header().count(Section.TEXT_OFFSETS);
    for (int id : new int[] {texts, texts + 1, Room.around(texts) - 1}) {
      assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.TEXTS),
          CompactLiveIndex.pack(id, -1))), "names a text");
      assertRefused(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.TEXTS),
          CompactLiveIndex.pack(0, id))), "names a text");
    }
  }

  @Test
  void aForgedFreeList_isRefused() {
    ImageRoundTrip.Written w = written();
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    assertRefused(forge(w, Section.FREE_SLOTS, s -> s.putInt(0, plain)), "not a free one");
    assertRefused(forge(w, Section.FREE_SLOTS, s -> s.putInt(0, 1 << 20)), "not a free one");
    assertRefused(forge(w, Section.FREE_SLOTS, s -> s.putInt(4, s.getInt(0))), "not a free one");
  }

  @Test
  void listsThatLoop_strayOrAreHeadedWrongly_areRebuiltFromTheSlots() {
    // Lists are derived from the slots' subjects, as tables from their keys: each forgery opens
    // with every session in its own subject's list, and only there.
    ImageRoundTrip.Written w = written();
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    int free = firstSlot(w, CompactLiveIndex.FREE);
    assertListsRebuilt(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.LINKS),
        CompactLiveIndex.pack(plain + 1, CompactLiveIndex.PLAIN))), "a loop");
    assertListsRebuilt(forge(w, Section.SLOTS, s -> s.putLong(at(plain, CompactLiveIndex.LINKS),
        CompactLiveIndex.pack(free + 1, CompactLiveIndex.PLAIN))), "into a free slot");
    assertListsRebuilt(forge(w, Section.SUBJECT_HEADS, s -> s.putInt(0, free + 1)),
        "a head naming a free slot");
    assertListsRebuilt(forge(w, Section.SUBJECT_HEADS, s -> s.putInt(0, 0)), "a list unheaded");
    assertListsRebuilt(forge(w, Section.SUBJECT_HEADS, s -> s.putInt(4, s.getInt(0))),
        "a list headed twice");
  }

  @Test
  void listsInDescendingSlotOrder_asImagesWereFirstWritten_openRebuilt() throws IOException {
    // An image written before lists were written ascending linked each subject's newest
    // session first, as memory does.
    ImageRoundTrip.Written w = twoSubjects();
    int[] bobs = {slotOf(w, SessionId.of(4, 4)), slotOf(w, SessionId.of(5, 5)),
        slotOf(w, SessionId.of(6, 6))};
    int bob = textId(w, "bob");
    ImageRoundTrip.Written descending = forge(forge(w, Section.SLOTS, s -> {
      for (int i = 0; i < bobs.length; i++) {
        s.putLong(at(bobs[i], CompactLiveIndex.LINKS), CompactLiveIndex.pack(
            i == 0 ? 0 : bobs[i - 1] + 1, CompactLiveIndex.PLAIN));
      }
    }), Section.SUBJECT_HEADS, h -> h.putInt(bob * 4, bobs[bobs.length - 1] + 1));
    LiveIndex read = ImageRoundTrip.read(descending);
    assertEquals(3, read.findSessions("bob").size());
    assertEquals(3, read.findSessions("alice").size());
    assertTrue(assertRefusedOrServes(store(descending), store -> {
      assertEquals(3, store.findSessions("bob").size(), "bob's devices");
      store.compact();
      assertEquals(3, store.revokeAll("bob", T0.plusSeconds(30)), "logged out everywhere");
    }), "an image of an earlier writer opens");
  }

  private static void assertListsRebuilt(ImageRoundTrip.Written forged, String why) {
    LiveIndex read = ImageRoundTrip.read(forged);
    List<SessionRecord> alice = read.findSessions("alice");
    List<SessionRecord> bob = read.findSessions("b\u00f6b");
    assertEquals(3, alice.size(), why);
    assertEquals(2, bob.size(), why);
    assertTrue(alice.stream().allMatch(s -> s.subject().equals("alice")), why);
    assertEquals(5, java.util.stream.Stream.concat(alice.stream(), bob.stream())
        .map(SessionRecord::id).distinct().count(), why);
    assertEquals(3, read.revokeAll("alice", T0.plusSeconds(30)), why);
  }

  @Test
  void forgedTables_areRefused() {
    ImageRoundTrip.Written w = written();
    int free = firstSlot(w, CompactLiveIndex.FREE);
    for (Section table : List.of(Section.DIGEST_CELLS, Section.ID_CELLS)) {
      assertRefused(forge(w, table, s -> s.putInt(firstCell(s), (free + 1) | 1 << 27)),
          "not a plain one");
      assertRefused(forge(w, table, s -> s.putInt(firstCell(s), 0)), "names 3 slots of 4");
      assertRefused(forge(w, table, s -> s.putInt(firstEmpty(s), -5)), "holds -5");
      assertRefused(forge(w, table, s -> {
        while (firstEmpty(s) >= 0) {
          s.putInt(firstEmpty(s), SlotTable.REMOVED);
        }
      }), "none empty");
    }
  }

  @Test
  void forgedTexts_areRefused() {
    ImageRoundTrip.Written w = written();
    int alice = textAt(w, "alice");
    assertRefused(forge(w, Section.TEXT_BYTES, s -> s.put(alice + 2, (byte) 0xFF)), "not UTF-8");
    assertRefused(forge(w, Section.TEXT_BYTES, s -> s.put(alice + 2, (byte) '\n')), "control characters");
    assertRefused(forge(w, Section.TEXT_BYTES, s -> s.putShort(alice, (short) 0x7FFF)),
        "runs past");
    assertRefused(forge(w, Section.TEXT_OFFSETS, s -> s.putInt(0, -1)), "does not hold");
    assertRefused(forge(w, Section.TEXT_OFFSETS, s -> s.putInt(0, s.getInt(4))),
        "bytes of texts");
    assertRefused(forge(w, Section.TEXT_OFFSETS, s -> s.putInt(0, 1 << 30)), "runs past");
    assertRefused(forge(w, Section.TEXT_TABLE, s -> s.putInt(firstEmpty(s), s.getInt(
        firstCell(s)))), "named once");
    assertRefused(forge(w, Section.TEXT_TABLE, s -> s.putInt(firstCell(s), 0)), "texts of");
    assertRefused(forge(w, Section.TEXT_TABLE, s -> s.putInt(firstEmpty(s), 1_000)),
        "named once");
  }

  @Test
  void aForgedImageInAStore_isRefusedNamingTheSnapshot() throws IOException {
    ImageRoundTrip.Written w = written();
    Path good = store(w);
    try (FileTokenStore store = FileTokenStore.builder().directory(good).build()) {
      assertEquals(3, store.findSessions("alice").size(), "the kit writes a store that opens");
    }
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    assertRefusedOpen(store(forge(w, Section.SLOTS, s -> s.putLong(
        at(plain, CompactLiveIndex.LINKS), CompactLiveIndex.pack(0, 7)))), "a slot not plain");
    byte[] raw = w.raw().clone();
    raw[0] ^= 1;
    assertRefusedOpen(store(with(w, raw, w.header())), "a changed byte");
    byte[] shorter = java.util.Arrays.copyOf(w.raw(), w.raw().length - 1);
    assertRefusedOpen(store(with(w, shorter, w.header())), "an image cut short");
  }

  @Test
  void headersWhoseCountsCannotBe_areRefusedNamingTheSnapshot() throws IOException {
    ImageRoundTrip.Written w = written();
    int[] counts = w.header().counts();
    counts[Section.SLOTS.ordinal()] = Integer.MAX_VALUE;
    assertRefusedOpen(store(withCounts(w, counts)), "2^31 slots");
    counts = w.header().counts();
    counts[Section.TEXT_BYTES.ordinal()] = Integer.MAX_VALUE;
    assertRefusedOpen(store(withCounts(w, counts)), "2 GiB of texts");
    counts = w.header().counts();
    counts[Section.FREE_SLOTS.ordinal()] = 1 << 30;
    int[] overflowing = counts;
    assertThrows(IllegalArgumentException.class, () -> withCounts(w, overflowing),
        "4 GiB of free slots");
    assertRefusedOpen(store(withCounts(w, new int[Section.values().length])), "no sections");
  }

  private static ImageRoundTrip.Written withCounts(ImageRoundTrip.Written w, int[] counts) {
    return with(w, w.raw(), new IndexImage.Header(counts, w.header().checksums(),
        w.header().deadTextBytes(), w.header().textSeed(), w.header().digestKeys(),
        w.header().idKeys()));
  }

  // ---- forgeries an open lets through, checked by what later calls do

  /**
   * Three sessions of alice (the first expires early) and three of bob, each labelled with a
   * text of its own long enough that the pool holds more than 1 KiB of live text.
   */
  static ImageRoundTrip.Written twoSubjects() {
    LiveIndex index = LiveIndex.create();
    for (int n = 1; n <= 6; n++) {
      SessionId id = SessionId.of(n, n);
      index.create(SessionRecord.of(new Session(id, n <= 3 ? "alice" : "bob",
          ("device " + n + " ").repeat(27), T0, T0, T0.plusSeconds(n == 1 ? 10 : 3600)), null,
          null), List.of(TokenRecord.of(hash(n), id)));
    }
    index.trim(); // as a snapshot is written: tight tables, which the open keeps as they are
    return ImageRoundTrip.write(index);
  }

  @Test
  void subjectListsHeadedByAnotherSubject_areRefused_orServeWithoutThrowing() throws IOException {
    // Every slot is still entered once, from a head that is a held text: only the subjects swap.
    ImageRoundTrip.Written w = twoSubjects();
    int alice = textId(w, "alice");
    int bob = textId(w, "bob");
    ImageRoundTrip.Written swapped = forge(w, Section.SUBJECT_HEADS, s -> {
      int head = s.getInt(alice * 4);
      s.putInt(alice * 4, s.getInt(bob * 4));
      s.putInt(bob * 4, head);
    });
    assertRefusedOrServes(store(swapped), store -> {
      assertEquals(1, store.purgeExpired(T0.plusSeconds(20)), "alice's first session ended");
      store.findSessions("alice");
      store.findSessions("bob");
      store.revokeAll("bob", T0.plusSeconds(30));
    });
  }

  @Test
  void aListCutIntoALoopNoHeadReaches_isRefused_orLogsOutEverySession() throws IOException {
    // bob's list is head, 4, 5, 6. Cut after 4, and 6 links back to 5: each slot is still entered
    // once, from a slot of its own subject, yet no walk from bob's head reaches 5 or 6.
    ImageRoundTrip.Written w = twoSubjects();
    int four = slotOf(w, SessionId.of(4, 4));
    int five = slotOf(w, SessionId.of(5, 5));
    int six = slotOf(w, SessionId.of(6, 6));
    int bob = textId(w, "bob");
    Path dir = store(forge(forge(w, Section.SLOTS, s -> {
      s.putLong(at(four, CompactLiveIndex.LINKS), CompactLiveIndex.pack(0, CompactLiveIndex.PLAIN));
      s.putLong(at(five, CompactLiveIndex.LINKS),
          CompactLiveIndex.pack(six + 1, CompactLiveIndex.PLAIN));
      s.putLong(at(six, CompactLiveIndex.LINKS),
          CompactLiveIndex.pack(five + 1, CompactLiveIndex.PLAIN));
    }), Section.SUBJECT_HEADS, h -> h.putInt(bob * 4, four + 1)));
    assertRefusedOrServes(dir, store -> {
      assertEquals(3, store.findSessions("bob").size(), "bob's devices");
      assertEquals(3, store.revokeAll("bob", T0.plusSeconds(30)), "logged out everywhere");
      for (int n = 4; n <= 6; n++) {
        assertTrue(store.find(hash(n)).orElseThrow().session().isRevoked(), "session " + n);
      }
    });
  }

  @Test
  void deadTextBytesBeyondTheDeadOnes_areRefused_orServeWithoutThrowing() throws IOException {
    // The pool's count of dropped bytes is the header's word alone: no section's checksum covers
    // it, and nothing compares it with the texts that are held.
    ImageRoundTrip.Written w = twoSubjects();
    IndexImage.Header h = w.header();
    ImageRoundTrip.Written forged = with(w, w.raw(), new IndexImage.Header(h.counts(),
        h.checksums(), (int) h.bytes(Section.TEXT_BYTES), h.textSeed(), h.digestKeys(),
        h.idKeys()));
    assertRefusedOrServes(store(forged), store -> {
      assertEquals(1, store.purgeExpired(T0.plusSeconds(20)), "alice's first session ended");
      assertEquals("alice", store.find(hash(2)).orElseThrow().session().subject());
      assertEquals(3, store.findSessions("bob").size());
    });
  }

  @Test
  void twoSlotsOfOneSessionId_areRefused_orTheStoreStillCompactsAndReopens() throws IOException {
    // The tables still name each plain slot once, each cell where its old key put it: only the
    // id of one slot was overwritten with another's.
    ImageRoundTrip.Written w = twoSubjects();
    int first = slotOf(w, SessionId.of(2, 2));
    int second = slotOf(w, SessionId.of(3, 3));
    Path dir = store(forge(w, Section.SLOTS, s -> {
      s.putLong(at(second, 0), s.getLong(at(first, 0)));
      s.putLong(at(second, 1), s.getLong(at(first, 1)));
    }));
    boolean served = assertRefusedOrServes(dir, store -> {
      for (int n = 100; n < 120; n++) {
        // Enough sessions that the id table is rebuilt from the slots.
        SessionId id = SessionId.of(n, n);
        store.create(SessionRecord.of(new Session(id, "carol", null, T0, T0,
            T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(hash(n), id)));
      }
      assertTrue(store.revokeSession(SessionId.of(2, 2), T0.plusSeconds(30)));
      store.compact();
      store.compact();
    });
    if (served) {
      try (FileTokenStore reopened = openAt(dir)) {
        assertTrue(reopened.findSession(SessionId.of(2, 2)).isPresent());
      }
    }
  }

  @Test
  void aSessionTheIdTableCannotReach_isRefused_orCanStillBeLoggedOut() throws IOException {
    // Its id's cell moved past an empty cell its probe stops at, and a tombstone left behind:
    // every count still holds.
    ImageRoundTrip.Written w = twoSubjects();
    int slot = slotOf(w, SessionId.of(4, 4));
    Path dir = store(forge(w, Section.ID_CELLS, s -> {
      int at = cellNaming(s, slot);
      // The probe passes the tombstone and stops at the first empty cell after it; the cell
      // goes to the empty one after that.
      int beyond = emptyCellAfter(s, emptyCellAfter(s, at));
      s.putInt(beyond, s.getInt(at));
      s.putInt(at, SlotTable.REMOVED);
    }));
    assertRefusedOrServes(dir, store -> {
      assertTrue(store.find(hash(4)).isPresent(), "the session authenticates");
      assertTrue(store.revokeSession(SessionId.of(4, 4), T0.plusSeconds(30)), "logged out");
      assertTrue(store.find(hash(4)).orElseThrow().session().isRevoked(), "revoked");
    });
  }

  /** The byte offset of the first empty cell after the cell at byte offset {@code at}, wrapping. */
  private static int emptyCellAfter(ByteBuffer cells, int at) {
    for (int step = 4; step < cells.limit(); step += 4) {
      int next = (at + step) % cells.limit();
      if (cells.getInt(next) == SlotTable.EMPTY) {
        return next;
      }
    }
    throw new AssertionError("no empty cell");
  }

  private static int cellNaming(ByteBuffer cells, int slot) {
    for (int at = 0; at < cells.limit(); at += 4) {
      if (SlotTable.slotIn(cells.getInt(at)) == slot) {
        return at;
      }
    }
    throw new AssertionError("no cell names slot " + slot);
  }

  /** The slot of session {@code id} in the image. */
  static int slotOf(ImageRoundTrip.Written w, SessionId id) {
    ByteBuffer slots = section(w.raw(), w.header(), Section.SLOTS);
    for (int slot = 0; slot < w.header().count(Section.SLOTS); slot++) {
      if (slots.getLong(at(slot, 0)) == id.high() && slots.getLong(at(slot, 1)) == id.low()) {
        return slot;
      }
    }
    throw new AssertionError(id + " is in no slot");
  }

  /** The id of {@code text} in the image's pool. */
  static int textId(ImageRoundTrip.Written w, String text) {
    int at = textAt(w, text);
    ByteBuffer offsets = section(w.raw(), w.header(), Section.TEXT_OFFSETS);
    for (int id = 0; id < w.header().count(Section.TEXT_OFFSETS); id++) {
      if (offsets.getInt(id * 4) == at) {
        return id;
      }
    }
    throw new AssertionError(text + " has no id");
  }

  /** Opens {@code dir} on a clock 20 seconds after the sessions were made. */
  static FileTokenStore openAt(Path dir) {
    return FileTokenStore.builder().directory(dir).clock(new MutableClock(T0.plusSeconds(20)))
        .build();
  }

  /**
   * Opens {@code dir}: refused naming the snapshot, or open, and then {@code calls} (each a
   * public call a client can make) neither throw nor fail. Returns whether it opened.
   */
  static boolean assertRefusedOrServes(Path dir, Consumer<FileTokenStore> calls) {
    FileTokenStore store;
    try {
      store = openAt(dir);
    } catch (StoreCorruptedException refused) {
      assertTrue(refused.file().endsWith("snapshot-0000000002"), "names " + refused.file());
      return false;
    }
    try (store) {
      calls.accept(store);
    }
    return true;
  }

  // ---- the forgery kit

  static int at(int slot, int field) {
    return (slot * SlotArena.SLOT_LONGS + field) * Long.BYTES;
  }

  static int firstSlot(ImageRoundTrip.Written w, int state) {
    ByteBuffer slots = section(w.raw(), w.header(), Section.SLOTS);
    for (int slot = 0; slot < w.header().count(Section.SLOTS); slot++) {
      if ((int) slots.getLong(at(slot, CompactLiveIndex.LINKS)) == state) {
        return slot;
      }
    }
    throw new AssertionError("no slot in state " + state);
  }

  private static int firstCell(ByteBuffer cells) {
    for (int at = 0; at < cells.limit(); at += 4) {
      if (cells.getInt(at) > 0) {
        return at;
      }
    }
    throw new AssertionError("no cell names a slot");
  }

  static int firstEmpty(ByteBuffer cells) {
    for (int at = 0; at < cells.limit(); at += 4) {
      if (cells.getInt(at) == SlotTable.EMPTY) {
        return at;
      }
    }
    return -1;
  }

  /** Where {@code text}'s length starts in the text bytes. */
  static int textAt(ImageRoundTrip.Written w, String text) {
    byte[] bytes = section(w.raw(), w.header(), Section.TEXT_BYTES).array();
    int from = (int) w.header().offset(Section.TEXT_BYTES);
    byte[] wanted = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int at = from; at + 2 + wanted.length <= bytes.length; at++) {
      if (java.util.Arrays.equals(bytes, at + 2, at + 2 + wanted.length, wanted, 0,
          wanted.length) && bytes[at] == (byte) (wanted.length >>> 8)
          && bytes[at + 1] == (byte) wanted.length) {
        return at - from;
      }
    }
    throw new AssertionError(text + " not in the pool");
  }

  /** The little-endian view of {@code section} in {@code raw}, positions from its start. */
  static ByteBuffer section(byte[] raw, IndexImage.Header header, Section section) {
    return ByteBuffer.wrap(raw, (int) header.offset(section), (int) header.bytes(section))
        .slice().order(SlotArena.ORDER);
  }

  /** {@code w} with {@code edit} made to {@code section} and the checksums made to match. */
  static ImageRoundTrip.Written forge(ImageRoundTrip.Written w, Section section,
      Consumer<ByteBuffer> edit) {
    byte[] raw = w.raw().clone();
    edit.accept(section(raw, w.header(), section));
    int[] checksums = w.header().checksums();
    CRC32C crc = new CRC32C();
    crc.update(raw, (int) w.header().offset(section), (int) w.header().bytes(section));
    checksums[section.ordinal()] = (int) crc.getValue();
    return with(w, raw, new IndexImage.Header(w.header().counts(), checksums,
        w.header().deadTextBytes(), w.header().textSeed(), w.header().digestKeys(),
        w.header().idKeys()));
  }

  static ImageRoundTrip.Written with(ImageRoundTrip.Written w, byte[] raw,
      IndexImage.Header header) {
    return new ImageRoundTrip.Written(header, raw, w.others(), w.tokens());
  }

  private static void assertRefused(ImageRoundTrip.Written forged, String why) {
    LiveIndex index = LiveIndex.create();
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> index.loadImage(forged.image()), why);
    assertTrue(refused.getMessage().contains(why), why + ": " + refused.getMessage());
    assertEquals(0, index.sessionCount(), why);
  }

  private int stores;

  /** A store whose snapshot 2 holds {@code w}'s image and records, and an empty closed log 2. */
  private Path store(ImageRoundTrip.Written w) throws IOException {
    return store(tmp.resolve("store" + stores++), w);
  }

  /** Writes {@code w} to {@code dir} as {@link #store(ImageRoundTrip.Written)} does. */
  static Path store(Path dir, ImageRoundTrip.Written w) throws IOException {
    Files.createDirectories(dir);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(Frames.SNAPSHOT_MAGIC);
    bytes.writeBytes(frame(new LogEntry.Image(w.header(), null)));
    bytes.writeBytes(w.raw());
    int count = 1;
    for (int i = 0; i < w.others().size(); i++) {
      bytes.writeBytes(frame(new LogEntry.SessionState(w.others().get(i))));
      count++;
      for (TokenRecord token : w.tokens().get(i)) {
        bytes.writeBytes(frame(new LogEntry.TokenState(token)));
        count++;
      }
    }
    bytes.writeBytes(frame(new LogEntry.End(count)));
    Files.write(dir.resolve("snapshot-0000000002"), bytes.toByteArray());
    bytes.reset();
    bytes.writeBytes(Frames.LOG_MAGIC);
    bytes.writeBytes(frame(new LogEntry.Mark(bytes.size(), true)));
    Files.write(dir.resolve("log-0000000002"), bytes.toByteArray());
    return dir;
  }

  static byte[] frame(LogEntry entry) {
    ByteBuffer frame = Frames.encode(entry);
    byte[] out = new byte[frame.remaining()];
    frame.get(out);
    return out;
  }

  static void assertRefusedOpen(Path dir, String why) {
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).build()) {
      fail(why + ": opened with " + store.findSessions("alice").size() + " of alice's sessions");
    } catch (Throwable thrown) {
      StoreCorruptedException refused = assertInstanceOf(StoreCorruptedException.class, thrown,
          why + ": " + thrown);
      assertTrue(refused.file().endsWith("snapshot-0000000002"), why + ": names "
          + refused.file());
    }
  }
}
