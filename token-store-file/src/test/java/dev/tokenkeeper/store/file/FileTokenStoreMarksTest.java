package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store compacted, then closed or abandoned as a kill would leave it, and opened again from its
 * mapped snapshot round after round; each time many threads look tokens up at once, learning
 * where each subject starts, while one writer logs in, rotates, revokes, purges and compacts
 * under them. Subjects are 1 to 255 characters, shared by many sessions or by one, so purges
 * make the text pool move what it keeps. Every lookup must answer the token's own session with
 * that session's own subject, or nothing once it was purged.
 */
class FileTokenStoreMarksTest {

  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  private static final int ROUNDS = 6;
  private static final int READERS = 3;

  @TempDir
  Path dir;

  private final long seed = TestSeed.of("FileTokenStoreMarksTest");
  private final MutableClock clock = new MutableClock(T0);
  private final IssuedTokens issued = new IssuedTokens(50_000);
  /** The token each session was created with. */
  private final Map<SessionId, TokenHash> first = new HashMap<>();
  private final List<SessionId> held = new ArrayList<>();

  @Test
  void reopenedFromItsImage_manyThreadsLookingUpAtOnce_eachGetItsOwnSubject() throws Exception {
    Random random = new Random(seed);
    for (int round = 0; round < ROUNDS; round++) {
      FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock)
          .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).build();
      settle(store);
      AtomicBoolean done = new AtomicBoolean();
      long roundSeed = random.nextLong();
      Concurrently.run(READERS + 1, thread -> {
        if (thread > 0) {
          read(store, new Random(roundSeed + thread), done);
          return null;
        }
        try {
          write(store, new Random(roundSeed));
        } finally {
          done.set(true);
        }
        return null;
      });
      if (random.nextBoolean()) {
        store.compact();
        store.close();
      } else {
        store.abandon();
      }
    }
  }

  /** Which tokens the store holds as it opens, each checked: the readers' starting point. */
  private void settle(FileTokenStore store) {
    issued.unsettle();
    for (int n = 0; n < issued.count(); n++) {
      TokenHash hash = issued.get(n);
      Optional<TokenEntry> found = store.find(hash);
      if (found.isPresent()) {
        check(hash, found.get(), "at open");
        issued.settled(hash);
      }
    }
    held.removeIf(id -> store.findSession(id).isEmpty());
  }

  private void write(FileTokenStore store, Random random) {
    for (int step = 0; step < 40; step++) {
      Instant now = clock.instant();
      for (int n = random.nextInt(12); n > 0; n--) {
        create(store, random, now);
      }
      for (int n = random.nextInt(4); n > 0 && !held.isEmpty(); n--) {
        SessionId id = held.get(random.nextInt(held.size()));
        if (random.nextBoolean()) {
          store.revokeSession(id, now);
        } else {
          rotate(store, random, id, now);
        }
      }
      clock.set(now.plusSeconds(5));
      purge(store, clock.instant());
      if (step % 13 == 12) {
        store.compact(); // forgets nothing the purge left: same instant
      }
    }
  }

  private void create(FileTokenStore store, Random random, Instant now) {
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    Session session = new Session(id, CompactLiveIndexMarksRaceTest.subjectOf(id), null, now,
        now, now.plusSeconds(5 + random.nextInt(120)));
    IssuedTokens.NewSession created = issued.newSession(random, session, random.nextInt(3) == 0);
    store.create(created.record(), created.tokens());
    issued.publish(created.tokens());
    first.put(id, created.tokens().get(0).hash());
    held.add(id);
  }

  private void rotate(FileTokenStore store, Random random, SessionId id, Instant now) {
    SessionRecord session = store.findSession(id).orElseThrow();
    TokenHash rotated = session.refreshHash() != null ? session.refreshHash() : first.get(id);
    Rotation rotation =
        issued.rotation(random, session, rotated, now, now.plusSeconds(random.nextInt(120)));
    if (store.rotate(rotation)) {
      issued.publish(rotation.added());
    }
  }

  /** Purges at {@code now}, first telling readers which tokens are about to go. */
  private void purge(FileTokenStore store, Instant now) {
    List<SessionId> leaving = new ArrayList<>();
    for (SessionId id : held) {
      if (store.findSession(id).orElseThrow().isPurgeableAt(now)) {
        leaving.add(id);
      }
    }
    Set<SessionId> gone = Set.copyOf(leaving);
    issued.sessionsLeaving(gone);
    assertEquals(leaving.size(), store.purgeExpired(now), "sessions purged at " + now);
    held.removeAll(gone);
  }

  /** Looks up tokens issued so far, mostly the latest, until the writer is done. */
  private void read(FileTokenStore store, Random random, AtomicBoolean done) {
    while (!done.get()) {
      TokenHash hash = issued.pick(random, 128);
      if (hash == null) {
        Thread.onSpinWait();
        continue;
      }
      issued.find(hash, store::find, () -> hash + ", " + TestSeed.replay(seed))
          .ifPresent(found -> check(hash, found, "while changing"));
    }
  }

  private void check(TokenHash hash, TokenEntry found, String when) {
    SessionId expected = issued.owner(hash);
    SessionRecord session = found.session();
    if (!session.id().equals(expected)
        || !session.subject().equals(CompactLiveIndexMarksRaceTest.subjectOf(expected))) {
      throw new AssertionError("another session or subject " + when + " for " + hash + " of "
          + expected + ": " + session + ", " + TestSeed.replay(seed));
    }
  }
}
