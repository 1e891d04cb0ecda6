package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every snapshot places its tables under seeds drawn for it, also when the index was itself
 * opened from an image: a seed that an image's reader could learn lives no longer than that
 * image, and the reseeded tables still find every token and every session.
 */
class SnapshotSeedsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SESSIONS = 3_000;

  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();

  @Test
  void twoSnapshotsOfOneIndex_haveNoSeedInCommon() {
    LiveIndex index = filled();
    IndexImage.Header first = ImageRoundTrip.write(index).header();
    IndexImage.Header second = ImageRoundTrip.write(index).header();
    assertNoSeedShared(first, second);
    assertServesAll(index);
  }

  @Test
  void anIndexOpenedFromAnImage_writesItsNextSnapshotUnderNewSeeds() throws IOException {
    ImageRoundTrip.Written image = ImageRoundTrip.write(filled());
    LiveIndex opened = LiveIndex.create();
    opened.loadImage(image.image());
    assertServesAll(opened);

    ImageRoundTrip.Written next = ImageRoundTrip.write(opened);
    assertNoSeedShared(image.header(), next.header());
    assertServesAll(opened);
    LiveIndex reopened = LiveIndex.create();
    reopened.loadImage(next.image());
    assertServesAll(reopened);
  }

  private LiveIndex filled() {
    SplittableRandom random = new SplittableRandom(7);
    LiveIndex index = LiveIndex.create();
    RandomSessions.fill(index, random, SESSIONS, 40, T0, ids, hashes);
    return index;
  }

  private static void assertNoSeedShared(IndexImage.Header before, IndexImage.Header after) {
    assertNotEquals(before.digestKeys().seed(), after.digestKeys().seed(), "digest table");
    assertNotEquals(before.idKeys().seed(), after.idKeys().seed(), "id table");
    assertNotEquals(before.textSeed(), after.textSeed(), "text table");
  }

  private void assertServesAll(LiveIndex index) {
    assertEquals(SESSIONS, index.liveCount(T0));
    for (int n = 0; n < SESSIONS; n++) {
      assertEquals(ids.get(n), index.find(hashes.get(n)).orElseThrow().session().id(),
          "token " + n);
      assertTrue(index.findSession(ids.get(n)).isPresent(), "session " + n);
    }
  }
}
