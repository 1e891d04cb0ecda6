package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.store.file.ForgedImageTest.assertRefusedOpen;
import static dev.tokenkeeper.store.file.ForgedImageTest.assertRefusedOrServes;
import static dev.tokenkeeper.store.file.ForgedImageTest.at;
import static dev.tokenkeeper.store.file.ForgedImageTest.firstEmpty;
import static dev.tokenkeeper.store.file.ForgedImageTest.firstSlot;
import static dev.tokenkeeper.store.file.ForgedImageTest.forge;
import static dev.tokenkeeper.store.file.ForgedImageTest.hash;
import static dev.tokenkeeper.store.file.ForgedImageTest.openAt;
import static dev.tokenkeeper.store.file.ForgedImageTest.slotOf;
import static dev.tokenkeeper.store.file.ForgedImageTest.textAt;
import static dev.tokenkeeper.store.file.ForgedImageTest.textId;
import static dev.tokenkeeper.store.file.ForgedImageTest.twoSubjects;
import static dev.tokenkeeper.store.file.ForgedImageTest.with;
import static dev.tokenkeeper.store.file.ForgedImageTest.written;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.store.file.IndexImage.Section;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Forged images of the live index, each aimed at one way the checks at open could let a forger
 * through or fail untyped: a table cell that names no slot at all, lists that hold the wrong
 * slots, a list rebuilt while the keys are still probed on another thread, a failure on one
 * thread while another still runs, damage beside a forgery, and free slots full of another
 * session's keys. Each is either refused at open with
 * {@link dev.tokenkeeper.core.StoreCorruptedException} naming the snapshot, or serves every
 * later call as the honest store would.
 */
@Timeout(120) // a guard against a hang, not a measure of speed
class ForgedImageAttackTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  /** A cell with a hash tag but slot bits of zero: it names "slot -1". */
  private static final int CELL_NAMING_NO_SLOT = 1 << 27;

  @TempDir
  Path tmp;

  // ---- a cell that names no slot: its slot bits are zero, its tag is not

  @ParameterizedTest
  @EnumSource(value = Section.class, names = {"DIGEST_CELLS", "ID_CELLS", "TEXT_TABLE"})
  void aTableCellWithATagButNoSlot_isRefusedNamingTheSnapshot(Section table) throws IOException {
    ImageRoundTrip.Written w = twoSubjects();
    assertRefusedOpen(store(forge(w, table, s -> s.putInt(firstEmpty(s), CELL_NAMING_NO_SLOT))),
        "a " + table + " cell naming no slot");
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

  // ---- the kit: ForgedImageTest's

  private int stores;

  private Path store(ImageRoundTrip.Written w) throws IOException {
    return ForgedImageTest.store(tmp.resolve("store" + stores++), w);
  }
}
