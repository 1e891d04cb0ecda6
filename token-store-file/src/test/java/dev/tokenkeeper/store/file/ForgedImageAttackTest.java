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
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forged images of the live index, each aimed at one way the checks at open could let a forger
 * through or fail untyped: a table cell that names no slot at all, lists that hold the wrong
 * slots, a list rebuilt while the keys are still probed on another thread, a failure on one
 * thread while another still runs, damage beside a forgery, and free slots full of another
 * session's keys. Each is either refused at open with {@link StoreCorruptedException} naming the
 * snapshot, or serves every later call as the honest store would.
 */
@Timeout(120) // a guard against a hang, not a measure of speed
class ForgedImageAttackTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String SNAPSHOT = "snapshot-0000000002";
  /** A cell with a hash tag but slot bits of zero: it names "slot -1". */
  private static final int CELL_NAMING_NO_SLOT = 1 << 27;

  @TempDir
  Path tmp;

  // ---- a cell that names no slot: its slot bits are zero, its tag is not

  @Test
  void aDigestCellWithATagButNoSlot_isRefusedNamingTheSnapshot() throws IOException {
    ImageRoundTrip.Written w = twoSubjects();
    assertRefusedOpen(store(forge(w, Section.DIGEST_CELLS,
        s -> s.putInt(firstEmpty(s), CELL_NAMING_NO_SLOT))), "a digest cell naming slot -1");
  }

  @Test
  void anIdCellWithATagButNoSlot_isRefusedNamingTheSnapshot() throws IOException {
    ImageRoundTrip.Written w = twoSubjects();
    assertRefusedOpen(store(forge(w, Section.ID_CELLS,
        s -> s.putInt(firstEmpty(s), CELL_NAMING_NO_SLOT))), "an id cell naming slot -1");
  }

  @Test
  void aTextTableCellWithATagButNoText_isRefusedNamingTheSnapshot() throws IOException {
    ImageRoundTrip.Written w = twoSubjects();
    assertRefusedOpen(store(forge(w, Section.TEXT_TABLE,
        s -> s.putInt(firstEmpty(s), CELL_NAMING_NO_SLOT))), "a text cell naming text -1");
  }

  @Test
  void aCellNamingNoSlot_isRefusedAsAnImageThatDoesNotHoldTogether() {
    // In memory, as a snapshot's image is read: the typed refusal a store turns into
    // StoreCorruptedException is IllegalArgumentException.
    ImageRoundTrip.Written w = twoSubjects();
    for (Section table : List.of(Section.DIGEST_CELLS, Section.ID_CELLS, Section.TEXT_TABLE)) {
      ImageRoundTrip.Written forged = forge(w, table,
          s -> s.putInt(firstEmpty(s), CELL_NAMING_NO_SLOT));
      Throwable thrown = assertThrows(Throwable.class,
          () -> LiveIndex.create().loadImage(forged.image()), table::name);
      assertInstanceOf(IllegalArgumentException.class, thrown, table + ": " + thrown);
    }
  }

  // ---- lists that do not hold exactly their subjects' slots: rebuilt, and then they serve

  @Test
  void listsThatStrayIntoAnotherSubject_skipASlot_orHeadALabel_areRebuiltAndServe()
      throws IOException {
    ImageRoundTrip.Written w = twoSubjects();
    int two = slotOf(w, SessionId.of(2, 2));
    int three = slotOf(w, SessionId.of(3, 3));
    int four = slotOf(w, SessionId.of(4, 4));
    int alice = textId(w, "alice");
    int label = textId(w, ("device 5 ").repeat(27));
    long plainEnd = CompactLiveIndex.pack(0, CompactLiveIndex.PLAIN);
    List<ImageRoundTrip.Written> forgeries = List.of(
        // alice's second slot links into bob's first: bob's list is then entered twice.
        forge(w, Section.SLOTS, s -> s.putLong(at(two, CompactLiveIndex.LINKS),
            CompactLiveIndex.pack(four + 1, CompactLiveIndex.PLAIN))),
        // alice's second slot ends her list: her third is in none.
        forge(w, Section.SLOTS, s -> s.putLong(at(two, CompactLiveIndex.LINKS), plainEnd)),
        // alice's list skips her second slot, which still links on to her third.
        forge(w, Section.SLOTS, s -> s.putLong(at(slotOf(w, SessionId.of(1, 1)),
            CompactLiveIndex.LINKS), CompactLiveIndex.pack(three + 1, CompactLiveIndex.PLAIN))),
        // A label's text heads a list of alice's slots as well.
        forge(w, Section.SUBJECT_HEADS, s -> s.putInt(label * 4, s.getInt(alice * 4))));
    for (ImageRoundTrip.Written forged : forgeries) {
      Path dir = store(forged);
      boolean served = assertRefusedOrServes(dir, store -> {
        assertEquals(3, store.findSessions("alice").size(), "alice's sessions");
        assertEquals(3, store.findSessions("bob").size(), "bob's sessions");
        assertEquals(0, store.findSessions(("device 5 ").repeat(27)).size(), "a label's");
        assertEquals(1, store.purgeExpired(T0.plusSeconds(20)), "alice's first ended");
        assertEquals(2, store.revokeAll("alice", T0.plusSeconds(30)), "alice logged out");
        store.compact();
      });
      if (served) {
        try (FileTokenStore reopened = openAt(dir)) {
          assertEquals(2, reopened.findSessions("alice").size());
          assertTrue(reopened.findSessions("alice").stream().allMatch(r -> r.isRevoked()));
          assertEquals(3, reopened.findSessions("bob").size());
          assertEquals(3, reopened.revokeAll("bob", T0.plusSeconds(40)), "bob logged out");
        }
      }
    }
  }

  // ---- the threads: a list rebuilt while keys are probed; a failure while others still run

  private static final int MANY = 40_000; // several runs of key probes, so both threads probe

  /**
   * {@link #MANY} plain sessions of seven subjects, random ids and tokens (seed printed), and
   * five free slots.
   */
  private static ImageRoundTrip.Written many(long seed) {
    System.out.println("ForgedImageAttackTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    LiveIndex index = LiveIndex.create();
    for (int n = 0; n < MANY; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      index.create(SessionRecord.of(new Session(id, "user" + n % 7, null, T0, T0,
          T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(
          TokenHash.sha256Words(random.nextLong(), random.nextLong(), random.nextLong(), n), id)));
    }
    for (int n = 0; n < 5; n++) {
      // Purged below: the image has free slots, so its free list can be forged.
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      index.create(SessionRecord.of(new Session(id, "gone", null, T0, T0, T0.plusSeconds(10)),
          null, null), List.of(TokenRecord.of(TokenHash.sha256Words(random.nextLong(),
          random.nextLong(), random.nextLong(), -1 - n), id)));
    }
    assertEquals(5, index.purgeExpired(T0.plusSeconds(20)));
    index.trim();
    return ImageRoundTrip.write(index);
  }

  @Test
  void listsRebuiltWhileTheKeysAreProbed_leaveEverySessionFoundAndLoggedOut() throws IOException {
    long seed = 0x5EED_0007L;
    ImageRoundTrip.Written w = many(seed);
    // Every head zeroed: every list is rebuilt, writing every slot's links while the keys thread
    // reads the same slots for its probes.
    ImageRoundTrip.Written forged = forge(w, Section.SUBJECT_HEADS, s -> {
      for (int at = 0; at < s.limit(); at += 4) {
        s.putInt(at, 0);
      }
    });
    Path dir = store(forged);
    SplittableRandom again = new SplittableRandom(seed);
    SessionId[] ids = new SessionId[MANY];
    TokenHash[] hashes = new TokenHash[MANY];
    for (int n = 0; n < MANY; n++) {
      ids[n] = SessionId.of(again.nextLong(), again.nextLong());
      hashes[n] = TokenHash.sha256Words(again.nextLong(), again.nextLong(), again.nextLong(), n);
    }
    assertRefusedOrServes(dir, store -> {
      for (int n = 0; n < MANY; n++) {
        assertEquals(ids[n], store.find(hashes[n]).orElseThrow().session().id(), "token " + n);
        assertTrue(store.findSession(ids[n]).isPresent(), "session " + n);
      }
      for (int s = 0; s < 7; s++) {
        int expected = MANY / 7 + (s < MANY % 7 ? 1 : 0);
        assertEquals(expected, store.findSessions("user" + s).size(), "user" + s);
        assertEquals(expected, store.revokeAll("user" + s, T0.plusSeconds(30)), "user" + s);
      }
    });
  }

  @Test
  void aTextFailureWhileTheKeysAreStillProbed_isRefusedNamingTheSnapshot() throws IOException {
    ImageRoundTrip.Written w = many(0x5EED_0008L);
    int user = textAt(w, "user3");
    assertRefusedOpen(store(forge(w, Section.TEXT_BYTES, s -> s.put(user + 2, (byte) '\n'))),
        "a subject with a control character");
    // And a failure found on the open thread after the slot pass, the keys thread still going.
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    assertRefusedOpen(store(forge(w, Section.FREE_SLOTS, s -> s.putInt(0, plain))),
        "a plain slot listed free");
  }

  // ---- damage beside a forgery: the checksum is named first

  @Test
  void aDamagedTableBesideAForgedFreeList_isReportedAsTheChecksumMismatch() {
    ImageRoundTrip.Written w = written();
    int plain = firstSlot(w, CompactLiveIndex.PLAIN);
    ImageRoundTrip.Written forged = forge(w, Section.FREE_SLOTS, s -> s.putInt(0, plain));
    for (Section damaged : List.of(Section.DIGEST_CELLS, Section.ID_CELLS, Section.TEXT_TABLE,
        Section.TEXT_BYTES, Section.SLOTS)) {
      byte[] raw = forged.raw().clone();
      raw[(int) (w.header().offset(damaged) + w.header().bytes(damaged) / 2)] ^= 1;
      ImageRoundTrip.Written both = with(forged, raw, forged.header());
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> LiveIndex.create().loadImage(both.image()), damaged::name);
      assertTrue(refused.getMessage().contains("checksum mismatch in section " + damaged),
          damaged + ": " + refused.getMessage());
    }
  }

  // ---- free slots holding another session's keys

  @Test
  void freeSlotsHoldingAPlainSessionsKeys_openAndServeAsTheHonestStore() throws IOException {
    ImageRoundTrip.Written w = written();
    int free = firstSlot(w, CompactLiveIndex.FREE);
    int plain = slotOf(w, SessionId.of(2, 2));
    Path dir = store(forge(w, Section.SLOTS, s -> {
      for (int field = 0; field < CompactLiveIndex.LINKS; field++) {
        s.putLong(at(free, field), s.getLong(at(plain, field)));
      }
    }));
    boolean served = assertRefusedOrServes(dir, store -> {
      assertEquals(SessionId.of(2, 2), store.find(hash(2)).orElseThrow().session().id());
      SessionId bound = SessionId.of(50, 50);
      // A session not plain takes the free slot, whose other fields it does not write.
      store.create(new SessionRecord(new Session(bound, "alice", null, T0, T0,
          T0.plusSeconds(3600)), new ClientBinding("10.0.0.0/8", null), null, null),
          List.of(TokenRecord.of(hash(50), bound)));
      assertTrue(store.revokeSession(SessionId.of(2, 2), T0.plusSeconds(30)));
      assertEquals(4, store.findSessions("alice").size());
      store.compact();
    });
    if (served) {
      try (FileTokenStore reopened = openAt(dir)) {
        assertTrue(reopened.findSession(SessionId.of(2, 2)).orElseThrow().isRevoked());
        assertEquals(SessionId.of(50, 50), reopened.find(hash(50)).orElseThrow().session().id());
        assertEquals(4, reopened.findSessions("alice").size());
      }
    }
  }

  // ---- the kit (as ForgedImageTest's)

  /** Five plain sessions of two subjects, one purged, and a bound one left out of the image. */
  private static ImageRoundTrip.Written written() {
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

  /** Three sessions of alice (the first expires early) and three of bob, each labelled. */
  private static ImageRoundTrip.Written twoSubjects() {
    LiveIndex index = LiveIndex.create();
    for (int n = 1; n <= 6; n++) {
      SessionId id = SessionId.of(n, n);
      index.create(SessionRecord.of(new Session(id, n <= 3 ? "alice" : "bob",
          ("device " + n + " ").repeat(27), T0, T0, T0.plusSeconds(n == 1 ? 10 : 3600)), null,
          null), List.of(TokenRecord.of(hash(n), id)));
    }
    index.trim();
    return ImageRoundTrip.write(index);
  }

  private static TokenHash hash(int n) {
    return TokenHash.sha256Words(n, n * 31L, n * 97L, 7);
  }

  private static int at(int slot, int field) {
    return (slot * SlotArena.SLOT_LONGS + field) * Long.BYTES;
  }

  private static int firstSlot(ImageRoundTrip.Written w, int state) {
    ByteBuffer slots = section(w.raw(), w.header(), Section.SLOTS);
    for (int slot = 0; slot < w.header().count(Section.SLOTS); slot++) {
      if ((int) slots.getLong(at(slot, CompactLiveIndex.LINKS)) == state) {
        return slot;
      }
    }
    throw new AssertionError("no slot in state " + state);
  }

  private static int slotOf(ImageRoundTrip.Written w, SessionId id) {
    ByteBuffer slots = section(w.raw(), w.header(), Section.SLOTS);
    for (int slot = 0; slot < w.header().count(Section.SLOTS); slot++) {
      if (slots.getLong(at(slot, 0)) == id.high() && slots.getLong(at(slot, 1)) == id.low()
          && (int) slots.getLong(at(slot, CompactLiveIndex.LINKS)) == CompactLiveIndex.PLAIN) {
        return slot;
      }
    }
    throw new AssertionError(id + " is in no slot");
  }

  private static int firstEmpty(ByteBuffer cells) {
    for (int at = 0; at < cells.limit(); at += 4) {
      if (cells.getInt(at) == SlotTable.EMPTY) {
        return at;
      }
    }
    throw new AssertionError("no empty cell");
  }

  private static int textAt(ImageRoundTrip.Written w, String text) {
    ByteBuffer bytes = section(w.raw(), w.header(), Section.TEXT_BYTES);
    byte[] wanted = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int at = 0; at + 2 + wanted.length <= bytes.limit(); at++) {
      boolean same = bytes.get(at) == (byte) (wanted.length >>> 8)
          && bytes.get(at + 1) == (byte) wanted.length;
      for (int i = 0; same && i < wanted.length; i++) {
        same = bytes.get(at + 2 + i) == wanted[i];
      }
      if (same) {
        return at;
      }
    }
    throw new AssertionError(text + " not in the pool");
  }

  private static int textId(ImageRoundTrip.Written w, String text) {
    int at = textAt(w, text);
    ByteBuffer offsets = section(w.raw(), w.header(), Section.TEXT_OFFSETS);
    for (int id = 0; id < w.header().count(Section.TEXT_OFFSETS); id++) {
      if (offsets.getInt(id * 4) == at) {
        return id;
      }
    }
    throw new AssertionError(text + " has no id");
  }

  private static ByteBuffer section(byte[] raw, IndexImage.Header header, Section section) {
    return ByteBuffer.wrap(raw, (int) header.offset(section), (int) header.bytes(section))
        .slice().order(SlotArena.ORDER);
  }

  /** {@code w} with {@code edit} made to {@code section} and its checksum made to match. */
  private static ImageRoundTrip.Written forge(ImageRoundTrip.Written w, Section section,
      Consumer<ByteBuffer> edit) {
    byte[] raw = w.raw().clone();
    edit.accept(section(raw, w.header(), section));
    int[] checksums = w.header().checksums();
    CRC32C crc = new CRC32C();
    crc.update(raw, (int) w.header().offset(section), (int) w.header().bytes(section));
    checksums[section.ordinal()] = (int) crc.getValue();
    return with(w, raw, new IndexImage.Header(w.header().counts(), checksums,
        w.header().deadTextBytes(), w.header().textSeed()));
  }

  private static ImageRoundTrip.Written with(ImageRoundTrip.Written w, byte[] raw,
      IndexImage.Header header) {
    return new ImageRoundTrip.Written(header, raw, w.others(), w.tokens());
  }

  private int stores;

  /** A store whose snapshot 2 holds {@code w}'s image and records, and an empty closed log 2. */
  private Path store(ImageRoundTrip.Written w) throws IOException {
    Path dir = tmp.resolve("store" + stores++);
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
    Files.write(dir.resolve(SNAPSHOT), bytes.toByteArray());
    bytes.reset();
    bytes.writeBytes(Frames.LOG_MAGIC);
    bytes.writeBytes(frame(new LogEntry.Mark(bytes.size(), true)));
    Files.write(dir.resolve("log-0000000002"), bytes.toByteArray());
    return dir;
  }

  private static byte[] frame(LogEntry entry) {
    ByteBuffer frame = Frames.encode(entry);
    byte[] out = new byte[frame.remaining()];
    frame.get(out);
    return out;
  }

  private static FileTokenStore openAt(Path dir) {
    return FileTokenStore.builder().directory(dir).clock(new MutableClock(T0.plusSeconds(20)))
        .build();
  }

  /** Refused naming the snapshot, or open and {@code calls} pass; whether it opened. */
  private static boolean assertRefusedOrServes(Path dir, Consumer<FileTokenStore> calls) {
    FileTokenStore store;
    try {
      store = openAt(dir);
    } catch (StoreCorruptedException refused) {
      assertTrue(refused.file().endsWith(SNAPSHOT), "names " + refused.file());
      return false;
    }
    try (store) {
      calls.accept(store);
    }
    return true;
  }

  private static void assertRefusedOpen(Path dir, String why) {
    try (FileTokenStore store = openAt(dir)) {
      fail(why + ": opened with " + store.findSessions("alice").size() + " of alice's sessions");
    } catch (Throwable thrown) {
      StoreCorruptedException refused = assertInstanceOf(StoreCorruptedException.class, thrown,
          why + ": " + thrown);
      assertTrue(refused.file().endsWith(SNAPSHOT), why + ": names " + refused.file());
    }
  }
}
