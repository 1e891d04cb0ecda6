package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers learning the marks of an index opened from a mapped image (where each session's subject
 * starts in the text pool: an image holds none, the first lookups learn them) while one writer
 * makes them wrong every way it can: sessions of subjects from 1 to 255 characters leave, so the
 * pool drops their texts and moves the rest; their slots and cells are reused by sessions of
 * other subjects; plain sessions turn into records; the tables are rebuilt growing, tight and
 * trimmed. Every few rounds the index is written as an image and mapped back, all its marks
 * unknown again. Every answer must be the token's own session with that session's own subject.
 */
class CompactLiveIndexMarksRaceTest {

  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  private static final int READERS = 2;
  private static final int ROUNDS = 240;

  @TempDir
  Path dir;

  private final long seed = TestSeed.of("CompactLiveIndexMarksRaceTest");
  private volatile CompactLiveIndex index = new CompactLiveIndex();
  private final IssuedTokens issued = new IssuedTokens(200_000);
  private final AtomicBoolean done = new AtomicBoolean();

  @Test
  void marksLearnedOnAMappedImage_underPurgesReuseAndRebuilds_giveEachSessionItsOwnSubject()
      throws Exception {
    List<Integer> finds = Concurrently.run(READERS + 1, thread -> {
      if (thread > 0) {
        return read(new Random(seed + thread));
      }
      try {
        write(new Random(seed));
      } finally {
        done.set(true);
      }
      return 0;
    });
    for (int thread = 1; thread <= READERS; thread++) {
      assertTrue(finds.get(thread) > 0, "reader " + thread + " never ran");
    }
    System.out.println("CompactLiveIndexMarksRaceTest: finds " + finds.subList(1, finds.size()));
  }

  // ---- the writer

  private void write(Random random) throws Exception {
    List<SessionId> held = new ArrayList<>();
    Instant now = T0;
    for (int round = 0; round < ROUNDS; round++) {
      now = now.plusSeconds(10);
      for (int n = random.nextInt(60); n > 0; n--) {
        held.add(create(random, now));
      }
      for (int n = random.nextInt(20); n > 0 && !held.isEmpty(); n--) {
        SessionId id = held.get(random.nextInt(held.size()));
        switch (random.nextInt(3)) {
          case 0 -> index.revokeSession(id, now);
          case 1 -> rotate(random, id, now);
          default -> index.touch(id, now, now.plusSeconds(random.nextInt(60)));
        }
      }
      purge(held, now);
      switch (round % 8) {
        case 2 -> index.expect(random.nextInt(200), random.nextInt(400));
        case 5 -> index.trim();
        case 7 -> remap();
        default -> { }
      }
    }
    purge(held, Instant.MAX);
    assertEquals(0, index.sessionCount(), "sessions left after purging all");
  }

  private SessionId create(Random random, Instant now) {
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    Session session = new Session(id, subjectOf(id), null, now, now,
        now.plusSeconds(5 + random.nextInt(80)));
    IssuedTokens.NewSession created = issued.newSession(random, session, random.nextInt(4) == 0);
    index.create(created.record(), created.tokens());
    issued.publish(created.tokens());
    return id;
  }

  private void rotate(Random random, SessionId id, Instant now) {
    SessionRecord session = index.findSession(id).orElseThrow();
    TokenHash rotated = session.refreshHash() != null ? session.refreshHash()
        : index.tokensOf(id).get(0).hash();
    Rotation rotation =
        issued.rotation(random, session, rotated, now, now.plusSeconds(random.nextInt(80)));
    if (index.rotate(rotation)) {
      issued.publish(rotation.added());
    }
  }

  /** Purges at {@code now}, first telling readers which tokens are about to go. */
  private void purge(List<SessionId> held, Instant now) {
    List<SessionId> leaving = new ArrayList<>();
    for (SessionId id : held) {
      if (index.findSession(id).orElseThrow().isPurgeableAt(now)) {
        leaving.add(id);
      }
    }
    issued.sessionsLeaving(Set.copyOf(leaving));
    assertEquals(leaving.size(), index.purgeExpired(now), "sessions purged at " + now);
    held.removeAll(Set.copyOf(leaving));
  }

  /** Writes the index as a snapshot's image and maps it back: every mark unknown again. */
  private void remap() throws Exception {
    CompactLiveIndex mapped = ImageRoundTrip.mapped(index, Files.createTempFile(dir, "image", ""));
    assertEquals(index.sessionCount(), mapped.sessionCount());
    index = mapped;
  }

  // ---- the readers

  private int read(Random random) {
    int finds = 0;
    while (!done.get()) {
      TokenHash hash = issued.pick(random, 256);
      if (hash == null) {
        Thread.onSpinWait();
        continue;
      }
      SessionId expected = issued.owner(hash);
      Supplier<String> what = () -> hash + " of " + expected + ", " + TestSeed.replay(seed);
      // The index read after the token: one swapped in since holds it too.
      Optional<TokenEntry> found = issued.find(hash, h -> index.find(h), what);
      finds++;
      if (found.isEmpty()) {
        continue;
      }
      SessionRecord session = found.get().session();
      if (!session.id().equals(expected) || !session.subject().equals(subjectOf(expected))) {
        throw new AssertionError("another session or subject for " + what.get() + ": " + session);
      }
      if (random.nextInt(64) == 0) {
        // An unknown token's probe passes cells of sessions it does not name.
        TokenHash unknown = TokenHash.sha256Words(random.nextLong(), random.nextLong(),
            random.nextLong(), random.nextLong());
        if (index.find(unknown).isPresent()) {
          throw new AssertionError("a token never issued found: " + what.get());
        }
      }
    }
    return finds;
  }

  /**
   * Half the sessions share one of 48 subjects of 2 to 238 characters; the rest have one of
   * their own, up to 255 characters, which leaves the pool with them.
   */
  static String subjectOf(SessionId id) {
    long low = id.low();
    int shared = (int) ((low >>> 1) % 48);
    if ((low & 1) == 0) {
      return "s" + shared + "-".repeat(shared * 5);
    }
    return Long.toHexString(id.high()) + "=".repeat((int) ((low >>> 8) & 0xFF) % 240);
  }
}
