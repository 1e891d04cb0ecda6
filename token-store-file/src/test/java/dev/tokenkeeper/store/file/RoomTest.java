package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.store.file.IndexImage.Section;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The room an image's load and a trim keep in the arrays sized to what they hold ({@link Room}):
 * the first texts and subjects added after an open fit without growing them, a trim gives back
 * only waste, and the room is never written into an image, so it does not pile up from one
 * snapshot to the next.
 */
class RoomTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SUBJECTS = 3_000;

  @Test
  void room_isASixteenth_andATrimLeavesAsMuchAsTwice() {
    assertEquals(16, Room.around(0));
    assertEquals(1_062, Room.around(1_000));
    assertEquals(1_062_500, Room.around(1_000_000));
    assertEquals(Integer.MAX_VALUE - 8, Room.around(Integer.MAX_VALUE - 100));
    assertTrue(Room.fits(1_000_000, 1_000_000));
    assertTrue(Room.fits(1_125_000, 1_000_000));
    assertFalse(Room.fits(1_125_001, 1_000_000));
    assertFalse(Room.fits(999_999, 1_000_000), "too short to hold them");
  }

  @Test
  void anImage_loadsWithRoom_soTheFirstNewTextsAndSubjectsGrowNothing() throws IOException {
    ImageRoundTrip.Written written = ImageRoundTrip.write(index(SUBJECTS));
    IndexImage.Parts parts = IndexImage.read(written.header(), written.image().source());
    TextPool texts = parts.texts();
    TextPool.Parts before = texts.parts();
    int ids = before.ids();
    assertEquals(written.header().count(Section.TEXT_OFFSETS), ids);
    assertEquals(Room.around(before.end()), before.bytes().length);
    assertEquals(Room.around(ids), before.offsets().length);
    assertEquals(Room.around(ids), parts.subjectHeads().length);
    for (int id = ids; id < before.offsets().length; id++) {
      assertEquals(-1, before.offsets()[id], "an id past the texts holds none: " + id);
    }
    // New texts up to the room: each a new id and some bytes, in the same arrays.
    int added = 0;
    while (texts.parts().end() + 2 + 24 <= before.bytes().length && added < Room.around(ids) - ids) {
      assertEquals(ids + added, texts.intern(String.format("new-user-%015d", added)));
      added++;
    }
    assertTrue(added >= 16, "room for " + added + " texts");
    assertSame(before.bytes(), texts.parts().bytes());
    assertSame(before.offsets(), texts.parts().offsets());
  }

  @Test
  void anIndexReadFromAnImage_takesNewSubjects_andReadsThemBack() {
    LiveIndex read = ImageRoundTrip.of(index(SUBJECTS));
    for (int n = 0; n < 150; n++) {
      SessionId id = SessionId.of(9_000 + n, n);
      read.create(SessionRecord.of(new Session(id, "later-" + n, "label-" + n % 3, T0, T0,
          T0.plusSeconds(60)), null, null), List.of(TokenRecord.of(digest(9_000 + n), id)));
    }
    for (int n = 0; n < SUBJECTS; n += 97) {
      assertEquals("user-" + n, read.find(digest(n)).orElseThrow().session().subject());
    }
    for (int n = 0; n < 150; n++) {
      assertEquals("later-" + n, read.find(digest(9_000 + n)).orElseThrow().session().subject());
      assertEquals(1, read.findSessions("later-" + n).size());
    }
  }

  @Test
  void aTrim_givesBackGrowthBeyondTheRoom_andThenCopiesNothing() {
    TextPool pool = new TextPool();
    for (int n = 0; n < 5_000; n++) {
      pool.intern("subject-" + n);
    }
    TextPool.Parts grown = pool.parts();
    assertFalse(Room.fits(grown.bytes().length, grown.end()) && Room.fits(grown.offsets().length,
        grown.ids()), "grown by halves and doubling, more than the room");
    pool.trim();
    TextPool.Parts trimmed = pool.parts();
    assertEquals(Room.around(trimmed.end()), trimmed.bytes().length);
    assertEquals(Room.around(trimmed.ids()), trimmed.offsets().length);
    pool.intern("one more");
    pool.trim();
    assertSame(trimmed.bytes(), pool.parts().bytes(), "within the room: left as it is");
    assertSame(trimmed.offsets(), pool.parts().offsets());
    for (int n = 0; n < 5_000; n += 111) {
      assertEquals("subject-" + n, pool.text(pool.idOf("subject-" + n)));
    }
  }

  @Test
  void theRoom_isNotWritten_soImagesDoNotGrowFromOneSnapshotToTheNext() {
    ImageRoundTrip.Written first = ImageRoundTrip.write(index(SUBJECTS));
    ImageRoundTrip.Written second = ImageRoundTrip.write(ImageRoundTrip.read(first));
    ImageRoundTrip.Written third = ImageRoundTrip.write(ImageRoundTrip.read(second));
    int texts = first.header().count(Section.TEXT_OFFSETS);
    for (ImageRoundTrip.Written written : List.of(first, second, third)) {
      assertEquals(texts, written.header().count(Section.TEXT_OFFSETS));
      assertEquals(Math.max(16, texts), written.header().count(Section.SUBJECT_HEADS));
      assertEquals(first.header().count(Section.TEXT_BYTES),
          written.header().count(Section.TEXT_BYTES));
    }
    assertEquals(first.raw().length, third.raw().length);
  }

  /**
   * An index never trimmed keeps only as many heads as its subjects need, while its labels take
   * text ids past them: its images still hold one head for each text id, as those of the same
   * index read back do.
   */
  @Test
  void labelsPastTheHeads_writeImagesOfOneSize() {
    LiveIndex index = LiveIndex.create();
    for (int n = 0; n < 200; n++) {
      SessionId id = SessionId.of(n + 1, n);
      index.create(SessionRecord.of(new Session(id, "only-user", "label-" + n, T0, T0,
          T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(digest(n), id)));
    }
    ImageRoundTrip.Written first = ImageRoundTrip.write(index);
    ImageRoundTrip.Written second = ImageRoundTrip.write(ImageRoundTrip.read(first));
    ImageRoundTrip.Written third = ImageRoundTrip.write(ImageRoundTrip.read(second));
    assertEquals(201, first.header().count(Section.SUBJECT_HEADS));
    assertEquals(first.raw().length, second.raw().length);
    assertEquals(first.raw().length, third.raw().length);
    assertEquals(200, ImageRoundTrip.read(third).findSessions("only-user").size());
  }

  /** Two sessions for each of {@code subjects} subjects, labels shared among them. */
  private static LiveIndex index(int subjects) {
    LiveIndex index = LiveIndex.create();
    for (int n = 0; n < subjects * 2; n++) {
      SessionId id = SessionId.of(n + 1, n);
      index.create(SessionRecord.of(new Session(id, "user-" + n % subjects, "label-" + n % 7, T0,
          T0, T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(digest(n), id)));
    }
    return index;
  }

  private static TokenHash digest(int n) {
    return TokenHash.sha256Words(n, n * 31L + 1, n * 97L, 11);
  }
}
