package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction racing every kind of write: one thread compacts over and over (and the small
 * threshold adds background compactions) while others issue, refresh, revoke and authenticate
 * (each authentication a sliding-expiry touch). After close and reopen the store must hold what
 * every acknowledged call said, and exactly what it held in memory before close.
 */
class CompactionUnderLoadTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final int WRITERS = 3;
  private static final int COMPACTIONS = 12;
  /** Each writer's least number of calls, so compactions meet writes even on a fast machine. */
  private static final int MIN_CALLS = 150;

  @TempDir
  Path dir;

  private final MutableClock clock = new MutableClock(T0);

  /** What one acknowledged call said about a session, in the order the calls returned. */
  private final Map<SessionId, List<String>> acknowledged = new ConcurrentHashMap<>();
  private final Set<SessionId> revoked = ConcurrentHashMap.newKeySet();
  private final Map<TokenHash, SessionId> tokens = new ConcurrentHashMap<>();
  /** Each session's newest pair, as its writer last saw it acknowledged. */
  private final Map<SessionId, IssuedPair> newest = new ConcurrentHashMap<>();
  /** The latest expiry an acknowledged authentication slid each session to. */
  private final Map<SessionId, Instant> slidTo = new ConcurrentHashMap<>();

  @Test
  void compact_whileIssuingRefreshingRevokingAndTouching_reopenHoldsEveryAcknowledgedCall()
      throws Exception {
    long seed = TestSeed.of("CompactionUnderLoadTest");
    Map<TokenHash, Optional<TokenEntry>> before = new HashMap<>();
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock)
        .durability(Durability.NONE).compactionThreshold(4_000).build()) {
      TokenService service = TokenService.builder().store(store).clock(clock)
          .idleTimeout(Duration.ofHours(1)).build();
      AtomicBoolean compacting = new AtomicBoolean(true);
      AtomicInteger compactions = new AtomicInteger();
      Concurrently.run(WRITERS + 1, thread -> {
        if (thread == 0) {
          try {
            for (int i = 0; i < COMPACTIONS; i++) {
              store.compact();
              compactions.incrementAndGet();
            }
          } finally {
            compacting.set(false);
          }
        } else {
          write(service, new Random(seed + thread), compacting);
        }
        return null;
      });
      assertEquals(COMPACTIONS, compactions.get());
      assertTrue(Duration.between(T0, clock.instant()).compareTo(Duration.ofMinutes(30)) < 0,
          "the run outlasted the idle timeout; fewer or shorter steps needed");
      for (Map.Entry<TokenHash, SessionId> token : tokens.entrySet()) {
        before.put(token.getKey(), store.find(token.getKey()));
      }
      for (SessionId id : revoked) {
        assertTrue(store.findSession(id).orElseThrow().isRevoked(),
            "revoked in memory: " + id + ", " + TestSeed.replay(seed));
      }
    }
    try (FileTokenStore reopened = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      for (Map.Entry<TokenHash, Optional<TokenEntry>> token : before.entrySet()) {
        assertEquals(comparable(token.getValue()), comparable(reopened.find(token.getKey())),
            "as before close: " + token.getKey() + " of "
                + acknowledged.get(tokens.get(token.getKey())) + ", " + TestSeed.replay(seed));
      }
      for (IssuedPair pair : newest.values()) {
        SessionId id = pair.session().id();
        String why = id + " " + acknowledged.get(id) + ", " + TestSeed.replay(seed);
        TokenEntry entry = reopened.find(TokenHash.sha256(pair.refreshPlaintext())).orElseThrow();
        assertEquals(revoked.contains(id), entry.session().isRevoked(), "revoked? " + why);
        assertTrue(!entry.token().isRotated(), "the newest refresh token is current: " + why);
        Instant slid = slidTo.get(id);
        assertTrue(slid == null || !entry.session().expiresAt().isBefore(slid),
            "expiry kept at least where a touch slid it: " + why);
      }
    }
  }

  /**
   * What must survive a reopen of an entry: all of it for a live session, but a sealed successor
   * only within its grace window (a compaction after the run may drop it, as it should); for a
   * revoked session all but its last use and expiry, since a touch still pending when the session
   * is revoked is never written (TouchBuffer), and revocation is final either way.
   */
  private Optional<Object> comparable(Optional<TokenEntry> entry) {
    return entry.map(e -> {
      TokenRecord token = e.token();
      boolean sealed =
          token.successor() != null && token.successor().until().isAfter(clock.instant());
      List<Object> kept = Arrays.asList(token.hash(), token.sessionId(), token.expiresAt(),
          token.rotatedAt(), sealed ? token.successor() : null);
      SessionRecord session = e.session();
      return session.isRevoked()
          ? List.of(kept, session.id(), session.subject(), session.revokedAt())
          : List.of(kept, session);
    });
  }

  /** One writer: random calls on its own sessions, each acknowledged outcome recorded. */
  private void write(TokenService service, Random random, AtomicBoolean compacting) {
    List<IssuedPair> mine = new ArrayList<>();
    for (int calls = 0; calls < MIN_CALLS || compacting.get(); calls++) {
      // Small steps: no session may reach its idle timeout, or compaction would rightly forget it.
      clock.advance(Duration.ofMillis(1 + random.nextInt(50)));
      int choice = mine.isEmpty() ? 0 : random.nextInt(10);
      if (choice < 3) {
        IssuedPair pair = service.issuePair("user" + random.nextInt(5), "device", CLIENT);
        note(pair, "issued");
        mine.add(pair);
        continue;
      }
      int index = random.nextInt(mine.size());
      IssuedPair pair = mine.get(index);
      SessionId id = pair.session().id();
      if (choice < 6) {
        RefreshResult result = service.refresh(pair.refreshPlaintext(), CLIENT);
        if (result instanceof RefreshResult.Refreshed refreshed) {
          note(refreshed.pair(), "refreshed");
          mine.set(index, refreshed.pair());
        }
      } else if (choice < 7) {
        if (service.revoke(pair.access().plaintext())) {
          revoked.add(id);
          acknowledged.get(id).add("revoked");
        }
      } else if (service.authenticate(pair.access().plaintext())
          instanceof AuthResult.Authenticated authenticated) {
        Instant expiresAt = authenticated.session().expiresAt();
        acknowledged.get(id).add("touched to " + expiresAt);
        slidTo.merge(id, expiresAt, (a, b) -> a.isAfter(b) ? a : b);
      }
    }
  }

  private void note(IssuedPair pair, String what) {
    SessionId id = pair.session().id();
    acknowledged.computeIfAbsent(id, i -> new ArrayList<>()).add(what);
    tokens.put(TokenHash.sha256(pair.refreshPlaintext()), id);
    tokens.put(TokenHash.sha256(pair.access().plaintext()), id);
    newest.put(id, pair);
  }
}
