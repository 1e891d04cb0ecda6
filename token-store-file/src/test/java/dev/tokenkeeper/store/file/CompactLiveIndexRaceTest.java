package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real threads calling the compact index's lock-free {@link CompactLiveIndex#find} in tight loops
 * while one writer creates, rotates, revokes, touches and purges, so slots, records and texts are
 * freed and reused and the tables rebuilt under the readers. Every answer a reader gets must be
 * whole: the token asked for, its own session, that session's fields as of one moment, a revoke
 * never undone, a stored token never unknown and a purged one never found.
 *
 * <p>Each session's subject, label and idle time are a function of its id, and every change
 * keeps {@code expiresAt - lastUsedAt} equal to that idle time, so a reader can tell a torn
 * session from a whole one without knowing when it read.
 */
class CompactLiveIndexRaceTest {

  private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
  private static final int READERS = 2;

  private final long seed = TestSeed.of("CompactLiveIndexRaceTest");
  private CompactLiveIndex index = new CompactLiveIndex();

  /** Every hash ever issued, for readers to pick from, and which stay stored for now. */
  private final IssuedTokens issued = new IssuedTokens(400_000);
  /** Hashes whose session was purged: never found again. */
  private final Set<TokenHash> gone = ConcurrentHashMap.newKeySet();
  /** Sessions whose revoke has returned. */
  private final Set<SessionId> revoked = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean done = new AtomicBoolean();

  @Test
  void find_underEveryKindOfChange_answersWhole() throws Exception {
    race(60_000, 1500, 200);
  }

  @Test
  void find_whileFewSlotsAreFreedAndReusedAtOnce_neverSeesTheNextSession() throws Exception {
    race(60_000, 8, 3);
  }

  /**
   * The same race on an index opened from a snapshot's image, its slots and tables mapped
   * copy-on-write from the file: more than a chunk of slots, the last one short, so the first
   * new session moves that chunk to the heap under the readers, and the image's sessions are
   * changed in their mapped pages, expire together and leave their slots to be reused.
   */
  @Test
  void find_onAMappedImage_underEveryKindOfChange_answersWhole(@TempDir Path dir)
      throws Exception {
    Random random = new Random(seed ^ 0x5EED);
    List<SessionId> held = new ArrayList<>();
    for (int n = 0; n < SlotArena.CHUNK_SLOTS + 4_000; n++) {
      held.add(create(random, START));
    }
    CompactLiveIndex mapped = ImageRoundTrip.mapped(index, dir.resolve("image"));
    assertEquals(index.sessionCount(), mapped.sessionCount());
    index = mapped;
    race(60_000, 1500, 200, held);
  }

  private void race(int changes, int live, int purgeEvery) throws Exception {
    race(changes, live, purgeEvery, new ArrayList<>());
  }

  /**
   * One writer making {@code changes} changes to the sessions {@code held} and those it creates,
   * keeping about {@code live} sessions, purging every {@code purgeEvery} changes; readers race
   * it until it is done.
   */
  private void race(int changes, int live, int purgeEvery, List<SessionId> held)
      throws Exception {
    List<Integer> finds = Concurrently.run(READERS + 1, thread -> {
      if (thread == 0) {
        try {
          write(new Random(seed), changes, live, purgeEvery, held);
        } finally {
          done.set(true);
        }
        return 0;
      }
      return read(new Random(seed + thread));
    });
    for (int thread = 1; thread <= READERS; thread++) {
      assertTrue(finds.get(thread) > 0, "reader " + thread + " never ran");
    }
    System.out.println("CompactLiveIndexRaceTest: finds " + finds.subList(1, finds.size()));
  }

  // ---- the writer

  private void write(Random random, int changes, int live, int purgeEvery,
      List<SessionId> held) {
    Instant now = START;
    Duration step = Duration.ofSeconds(1).multipliedBy(600).dividedBy(live);
    for (int change = 0; change < changes; change++) {
      now = now.plus(step);
      int pick = random.nextInt(100);
      if (pick < 35 || held.isEmpty()) {
        held.add(create(random, now));
      } else if (pick < 55) {
        rotate(random, held.get(random.nextInt(held.size())), now);
      } else if (pick < 60) {
        SessionId id = held.get(random.nextInt(held.size()));
        index.revokeSession(id, now);
        revoked.add(id);
      } else if (pick < 61) {
        String subject = subjectOf(held.get(random.nextInt(held.size())));
        List<SessionRecord> ofSubject = index.findSessions(subject);
        index.revokeAll(subject, now);
        ofSubject.forEach(s -> revoked.add(s.id()));
      } else {
        SessionId id = held.get(random.nextInt(held.size()));
        index.touch(id, now, now.plus(idleOf(id)));
      }
      if (change % purgeEvery == purgeEvery - 1) {
        purge(held, now);
      }
    }
    purge(held, Instant.MAX);
    assertEquals(0, index.sessionCount(), "sessions left after purging all");
    assertEquals(0, index.tokenCount(), "tokens left after purging all");
  }

  private SessionId create(Random random, Instant now) {
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    Session session = new Session(id, subjectOf(id), labelOf(id), now, now, now.plus(idleOf(id)));
    int kind = random.nextInt(10);
    List<TokenRecord> tokens = new ArrayList<>();
    SessionRecord record;
    if (kind < 6) {
      tokens.add(TokenRecord.of(issued.newHash(random, id), id));
      record = SessionRecord.of(session, null, null);
    } else if (kind < 9) {
      TokenHash refresh = issued.newHash(random, id);
      tokens.add(TokenRecord.expiring(issued.newHash(random, id), id, now.plusSeconds(300)));
      tokens.add(TokenRecord.of(refresh, id));
      record = SessionRecord.of(session, null, refresh);
    } else {
      tokens.add(TokenRecord.of(issued.newHash(random, id), id));
      record = SessionRecord.of(session, new ClientBinding("10.1.0.0/16", null), null);
    }
    index.create(record, tokens);
    issued.publish(tokens);
    return id;
  }

  private void rotate(Random random, SessionId id, Instant now) {
    Optional<SessionRecord> session = index.findSession(id);
    if (session.isEmpty()) {
      return;
    }
    TokenHash current = session.get().refreshHash();
    TokenHash rotated = current != null ? current : index.tokensOf(id).get(0).hash();
    byte[] sealed = new byte[48];
    random.nextBytes(sealed);
    TokenRecord refresh = TokenRecord.of(issued.newHash(random, id), id);
    TokenRecord access =
        TokenRecord.expiring(issued.newHash(random, id), id, now.plusSeconds(300));
    Rotation rotation = new Rotation(id, current, rotated, now,
        SealedSuccessor.of(sealed, now.plusSeconds(30)), refresh, access, now.plus(idleOf(id)));
    if (index.rotate(rotation)) {
      issued.publish(List.of(refresh, access));
    }
  }

  /** Purges at {@code now}, first telling readers which tokens are about to go. */
  private void purge(List<SessionId> held, Instant now) {
    List<SessionId> leaving = new ArrayList<>();
    List<TokenHash> leavingTokens = new ArrayList<>();
    for (SessionId id : held) {
      if (index.findSession(id).orElseThrow().isPurgeableAt(now)) {
        leaving.add(id);
        index.tokensOf(id).forEach(t -> leavingTokens.add(t.hash()));
      }
    }
    issued.leaving(leavingTokens);
    assertEquals(leaving.size(), index.purgeExpired(now), "sessions purged at " + now);
    gone.addAll(leavingTokens);
    held.removeAll(new HashSet<>(leaving));
  }

  // ---- the readers

  private int read(Random random) {
    Map<SessionId, Boolean> seenRevoked = new ConcurrentHashMap<>();
    int finds = 0;
    while (!done.get()) {
      TokenHash hash = issued.pick(random, 64);
      if (hash == null) {
        Thread.onSpinWait();
        continue;
      }
      boolean wasGone = gone.contains(hash);
      SessionId expectedId = issued.owner(hash);
      boolean wasRevoked = revoked.contains(expectedId);
      Supplier<String> what = () -> hash + " of " + expectedId + ", " + TestSeed.replay(seed);
      Optional<TokenEntry> found = issued.find(hash, index::find, what);
      finds++;
      if (found.isEmpty()) {
        continue;
      }
      TokenEntry entry = found.get();
      if (wasGone) {
        throw new AssertionError("a purged token found: " + what.get() + " -> " + entry);
      }
      SessionRecord session = entry.session();
      if (!entry.token().hash().equals(hash) || !session.id().equals(expectedId)
          || !session.subject().equals(subjectOf(expectedId))
          || !java.util.Objects.equals(session.session().label(), labelOf(expectedId))
          || !Duration.between(session.session().lastUsedAt(), session.expiresAt())
              .equals(idleOf(expectedId))) {
        throw new AssertionError("a torn answer for " + what.get() + ": " + entry);
      }
      if (session.isRevoked()) {
        seenRevoked.put(expectedId, true);
      } else if (wasRevoked || seenRevoked.containsKey(expectedId)) {
        throw new AssertionError(
            "a revoked session found unrevoked: " + what.get() + " -> " + entry);
      }
    }
    return finds;
  }

  // ---- what each session holds, by its id

  private static String subjectOf(SessionId id) {
    int n = (int) (id.low() & 31);
    return ((id.low() >>> 8) & 1) == 0 ? "user" + n : "USER" + n;
  }

  private static String labelOf(SessionId id) {
    return (id.low() & 3) == 0 ? null : "Gerät " + id.value();
  }

  private static Duration idleOf(SessionId id) {
    return Duration.ofSeconds(600 + ((id.low() >>> 16) & 255));
  }
}
