package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The marks beside the digest table's cells (where each session's subject starts in the text
 * pool) after the pool moved its texts: every cell of every live session must be given its new
 * mark, or a lookup reads the subject, or its length, where it no longer is.
 */
class CompactLiveIndexMarksTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  /**
   * An index read from an image, as a compaction reads back its snapshot before serving it: made
   * ready for lookups, every digest cell knows its subject's mark before the first lookup, and
   * every lookup then reads its own subject through it.
   */
  @Test
  void anImageReadBack_preparedForLookups_marksEveryCell_andEachLookupReadsItsOwnSubject() {
    Random random = new Random(TestSeed.of("CompactLiveIndexMarksTest.prepared"));
    CompactLiveIndex index = new CompactLiveIndex();
    Map<TokenHash, String> subjects = new HashMap<>();
    for (int n = 0; n < 500; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      String subject = "user" + (n / 2) + "x".repeat(random.nextInt(60));
      TokenHash hash = hash(random.nextLong(), n);
      if (n % 10 == 0) {
        // Kept as records: a pair, each token in a cell of its own.
        TokenHash access = hash(random.nextLong(), -n - 1);
        index.create(SessionRecord.of(new Session(id, subject, null, T0, T0,
            T0.plusSeconds(3600)), null, hash), List.of(TokenRecord.of(hash, id),
            TokenRecord.expiring(access, id, T0.plusSeconds(600))));
        subjects.put(access, subject);
      } else {
        index.create(SessionRecord.of(new Session(id, subject, "agent", T0, T0,
            T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(hash, id)));
      }
      subjects.put(hash, subject);
    }
    CompactLiveIndex read = (CompactLiveIndex) ImageRoundTrip.of(index);
    assertEquals(0, read.subjectMarksKnown(), "a table read from an image starts without marks");

    read.prepareLookups();

    assertEquals(subjects.size(), read.subjectMarksKnown(), "every cell is marked");
    subjects.forEach((hash, subject) ->
        assertEquals(subject, read.find(hash).orElseThrow().session().subject()));
  }

  /**
   * A session kept as records holds several tokens, each in a cell of its own; when one token's
   * probe passes another's cell of the same session first, that other cell must still get its
   * mark when the texts move.
   */
  @Test
  void texts_moved_everyCellOfASessionWithSeveralTokensGetsItsMark() {
    CompactLiveIndex index = new CompactLiveIndex();
    // Long subjects that all leave, so the pool reclaims and the kept subject moves far down.
    String filler = "f".repeat(250);
    for (int n = 0; n < 200; n++) {
      SessionId id = SessionId.of(1, n);
      index.create(SessionRecord.of(new Session(id, filler + n, null, T0, T0,
          T0.plusSeconds(10)), null, null), List.of(TokenRecord.of(hash(n + 100, n), id)));
    }
    SessionId kept = SessionId.of(2, 1);
    // Two tokens whose probes start at the same cell: the second's passes the first's.
    TokenHash access = hash(7, 1);
    TokenHash refresh = hash(7, 2);
    index.create(SessionRecord.of(new Session(kept, "alice", null, T0, T0, T0.plusSeconds(3600)),
        null, refresh), List.of(TokenRecord.expiring(access, kept, T0.plusSeconds(600)),
        TokenRecord.of(refresh, kept)));

    assertEquals(200, index.purgeExpired(T0.plusSeconds(20)));

    for (TokenHash hash : List.of(access, refresh)) {
      TokenEntry found = index.find(hash).orElseThrow();
      assertEquals(kept, found.session().id());
      assertEquals("alice", found.session().subject());
    }
    // A token not held whose probe passes both cells, as any token's may.
    assertEquals(Optional.empty(), index.find(hash(7, 3)));
  }

  /**
   * The same with digests as random as real ones: sessions of long subjects come and go, half of
   * them kept as records with two tokens (a cell each), so the pool keeps reclaiming; after each
   * purge every token held and as many not held are looked up.
   */
  @Test
  void texts_movedOften_everyLookupReadsItsOwnSubject() {
    long seed = TestSeed.of("CompactLiveIndexMarksTest");
    Random random = new Random(seed);
    CompactLiveIndex index = new CompactLiveIndex();
    Map<TokenHash, SessionId> held = new HashMap<>();
    Map<SessionId, String> subjects = new HashMap<>();
    Instant now = T0;
    for (int round = 0; round < 300; round++) {
      for (int n = 0; n < 1 + random.nextInt(40); n++) {
        SessionId id = SessionId.of(random.nextLong(), random.nextLong());
        String subject = "u" + round + "-" + n + "x".repeat(random.nextInt(200));
        Instant expires = now.plusSeconds(1 + random.nextInt(round % 7 == 0 ? 3 : 40));
        TokenHash token = RandomSessions.hash(random);
        if (random.nextBoolean()) {
          index.create(SessionRecord.of(new Session(id, subject, null, now, now, expires), null,
              null), List.of(TokenRecord.of(token, id)));
        } else {
          TokenHash refresh = RandomSessions.hash(random);
          index.create(SessionRecord.of(new Session(id, subject, null, now, now, expires), null,
              refresh), List.of(TokenRecord.of(token, id), TokenRecord.of(refresh, id)));
          held.put(refresh, id);
        }
        held.put(token, id);
        subjects.put(id, subject);
      }
      now = now.plusSeconds(3);
      index.purgeExpired(now);
      for (Map.Entry<TokenHash, SessionId> token : List.copyOf(held.entrySet())) {
        Optional<TokenEntry> found = index.find(token.getKey());
        if (found.isEmpty()) {
          held.remove(token.getKey());
          continue;
        }
        assertEquals(token.getValue(), found.get().session().id(), TestSeed.replay(seed));
        assertEquals(subjects.get(token.getValue()), found.get().session().subject(),
            TestSeed.replay(seed));
      }
      for (int n = 0; n < 200; n++) {
        assertEquals(Optional.empty(), index.find(RandomSessions.hash(random)),
            TestSeed.replay(seed));
      }
    }
  }

  /** A digest whose first word, and so its probe's start, is {@code start}'s alone. */
  private static TokenHash hash(long start, long w1) {
    return TokenHash.sha256Words(start << 32, w1, w1, w1);
  }
}
