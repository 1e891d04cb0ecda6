package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A touch tries first the slot a recent lookup found for its session, a hint lookups write
 * without a lock: the hint may name a slot since freed, reused by another session, or found for
 * another session whose id shares its entry. A touch must still change its own session alone.
 */
class CompactLiveIndexFoundSlotTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void hintOfAnotherSessionWithTheSameEntry_touchesItsOwnSession() {
    CompactLiveIndex index = new CompactLiveIndex();
    // Ids whose hash agrees in the low twelve bits: one entry of hints between them.
    SessionId first = SessionId.of(1, 0);
    SessionId second = SessionId.of(1, 4096);
    TokenHash firstToken = create(index, first, T0.plusSeconds(3600));
    create(index, second, T0.plusSeconds(3600));

    index.find(firstToken).orElseThrow();
    assertTrue(index.touchIfLive(second, T0.plusSeconds(5), T0.plusSeconds(7200)));

    assertEquals(T0, lastUsed(index, first));
    assertEquals(T0.plusSeconds(3600), expires(index, first));
    assertEquals(T0.plusSeconds(5), lastUsed(index, second));
    assertEquals(T0.plusSeconds(7200), expires(index, second));
  }

  @Test
  void hintOfAFreedSlotNowAnotherSessions_touchesNothing() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId gone = SessionId.of(3, 3);
    TokenHash goneToken = create(index, gone, T0.plusSeconds(10));
    index.find(goneToken).orElseThrow();
    assertEquals(1, index.purgeExpired(T0.plusSeconds(20)));
    // Takes the freed slot, which the hint for the purged session still names.
    SessionId next = SessionId.of(4, 4);
    create(index, next, T0.plusSeconds(3600));

    assertFalse(index.touchIfLive(gone, T0.plusSeconds(30), T0.plusSeconds(9000)));

    assertNull(index.findSession(gone).orElse(null));
    assertEquals(T0, lastUsed(index, next));
    assertEquals(T0.plusSeconds(3600), expires(index, next));
  }

  /** A freed slot is cleared, so its id reads as all zeros, which is a session's id too. */
  @Test
  void hintOfAFreedSlot_forTheIdOfAllZeros_touchesNothing() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId zeros = SessionId.of(0, 0);
    TokenHash token = create(index, zeros, T0.plusSeconds(10));
    index.find(token).orElseThrow();
    assertEquals(1, index.purgeExpired(T0.plusSeconds(20)));

    assertFalse(index.touchIfLive(zeros, T0.plusSeconds(30), T0.plusSeconds(9000)));
    assertEquals(0, index.sessionCount());
  }

  @Test
  void hintOfARevokedSession_touchesNothing() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId id = SessionId.of(5, 5);
    TokenHash token = create(index, id, T0.plusSeconds(3600));
    index.find(token).orElseThrow();
    assertTrue(index.revokeSession(id, T0.plusSeconds(1)));

    assertFalse(index.touchIfLive(id, T0.plusSeconds(30), T0.plusSeconds(9000)));

    SessionRecord revoked = index.findSession(id).orElseThrow();
    assertTrue(revoked.isRevoked());
    assertEquals(T0, revoked.session().lastUsedAt());
  }

  /**
   * Lookups rewrite the hints all the time while short sessions come and go, their slots freed
   * and reused, and a writer touches sessions: each touch lands on the session it names, and only
   * there. Half the ids share one entry of hints, so most hints name another session's slot.
   */
  @Test
  void touches_raceLookupsAndSlotReuse_eachLandsOnItsOwnSession() throws Exception {
    long seed = TestSeed.of("CompactLiveIndexFoundSlotTest");
    Random random = new Random(seed);
    CompactLiveIndex index = new CompactLiveIndex();
    Instant end = T0.plusSeconds(1_000_000);
    List<SessionId> lasting = new ArrayList<>();
    List<TokenHash> tokens = new ArrayList<>();
    for (int n = 0; n < 64; n++) {
      SessionId id = newId(random);
      tokens.add(create(index, id, end));
      lasting.add(id);
    }
    Map<SessionId, Instant> touchedTo = new HashMap<>();
    AtomicReference<List<TokenHash>> presented = new AtomicReference<>(List.copyOf(tokens));
    AtomicBoolean done = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      Random mine = new Random(seed + 1);
      while (!done.get()) {
        List<TokenHash> now = presented.get();
        index.find(now.get(mine.nextInt(now.size())));
      }
    });
    reader.start();
    try {
      Instant at = T0;
      for (int round = 0; round < 5_000; round++) {
        at = at.plusSeconds(1);
        // Sessions of earlier rounds end and leave, freeing slots the next ones take.
        index.purgeExpired(at);
        SessionId brief = newId(random);
        TokenHash briefToken = create(index, brief, at.plusSeconds(2));
        List<TokenHash> now = new ArrayList<>(tokens);
        now.add(briefToken);
        presented.set(now);
        Instant used = at.plusMillis(500);
        assertTrue(index.touchIfLive(brief, used, at.plusSeconds(2)), TestSeed.replay(seed));
        assertEquals(used, lastUsed(index, brief), TestSeed.replay(seed));
        SessionId touched = lasting.get(random.nextInt(lasting.size()));
        assertTrue(index.touchIfLive(touched, at, end), TestSeed.replay(seed));
        touchedTo.put(touched, at);
      }
    } finally {
      done.set(true);
      reader.join();
    }
    for (SessionId id : lasting) {
      assertEquals(touchedTo.getOrDefault(id, T0), lastUsed(index, id), TestSeed.replay(seed));
    }
  }

  /** A random id, or one of those whose hash is 0 in the bits that pick a hint's entry. */
  private static SessionId newId(Random random) {
    long high = random.nextLong();
    long mixed = random.nextBoolean() ? random.nextLong() : random.nextLong() & ~0xFFF_0000_0FFFL;
    return SessionId.of(high, high ^ mixed);
  }

  private static TokenHash create(CompactLiveIndex index, SessionId id, Instant expires) {
    TokenHash token = TokenHash.sha256Words(id.high() * 31 + 7, id.low(), id.high(), 11);
    index.create(SessionRecord.of(new Session(id, "user-" + id.low(), null, T0, T0, expires),
        null, null), List.of(TokenRecord.of(token, id)));
    return token;
  }

  private static Instant lastUsed(CompactLiveIndex index, SessionId id) {
    return index.findSession(id).orElseThrow().session().lastUsedAt();
  }

  private static Instant expires(CompactLiveIndex index, SessionId id) {
    return index.findSession(id).orElseThrow().session().expiresAt();
  }
}
