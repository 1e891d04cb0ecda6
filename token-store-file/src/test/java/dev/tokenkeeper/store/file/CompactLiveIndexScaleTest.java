package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One subject may hold very many sessions (a service account, or a user who logs in in a loop):
 * calls on them must cost in proportion to them, not to their square, since a purge holds the
 * index's lock and sends every lookup to it. The bound is a hang detector, not a speed test: the
 * work takes well under a second done in proportion, minutes done by the square.
 */
class CompactLiveIndexScaleTest {

  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  private static final int SESSIONS = 100_000;

  @Test
  void purgeExpired_ofOneSubjectsManySessions_endsWithinTheBound() {
    CompactLiveIndex index = new CompactLiveIndex();
    for (int i = 0; i < SESSIONS; i++) {
      SessionId id = SessionId.of(i * 0x9E37_79B9_7F4A_7C15L, i);
      // The oldest expire first, and they sit at the far end of the subject's list.
      SessionRecord session = SessionRecord.of(
          new Session(id, "service", null, NOW, NOW, NOW.plusSeconds(60 + i)), null, null);
      index.create(session, List.of(
          TokenRecord.of(TokenHash.sha256Words(i * 0xC2B2_AE3D_27D4_EB4FL, i, 1, 2), id)));
    }
    int half = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> index.purgeExpired(NOW.plusSeconds(59 + SESSIONS / 2)));
    assertEquals(SESSIONS / 2, half);
    assertEquals(SESSIONS / 2, index.findSessions("service").size());
    int rest = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> index.purgeExpired(Instant.MAX));
    assertEquals(SESSIONS / 2, rest);
    assertEquals(List.of(), index.findSessions("service"));
  }
}
