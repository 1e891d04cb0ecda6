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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Lookups keep the labels they decoded by text id, written without a lock. Labels here leave
 * and their ids are given to other texts, and the pool moves its bytes, while readers look up
 * sessions: each lookup must return its own session's label, never the text an id named before.
 */
class CompactLiveIndexLabelsRaceTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private record Held(SessionId id, String label) {}

  @Test
  void labels_reusedIdsAndMovedTexts_eachLookupReadsItsOwnLabel() throws Exception {
    long seed = TestSeed.of("CompactLiveIndexLabelsRaceTest");
    Random random = new Random(seed);
    CompactLiveIndex index = new CompactLiveIndex();
    Map<TokenHash, Held> held = new ConcurrentHashMap<>();
    AtomicReference<List<TokenHash>> presented = new AtomicReference<>(List.of());
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicBoolean done = new AtomicBoolean();
    LongAdder checked = new LongAdder();
    Runnable reader = () -> {
      Random mine = new Random(seed ^ Thread.currentThread().getId());
      try {
        while (!done.get()) {
          List<TokenHash> tokens = presented.get();
          if (tokens.isEmpty()) {
            continue;
          }
          TokenHash token = tokens.get(mine.nextInt(tokens.size()));
          Held expected = held.get(token);
          Optional<TokenEntry> found = index.find(token);
          // A token taken out since it was picked may be gone; one found is its own session.
          if (found.isPresent() && expected != null) {
            assertEquals(expected.id(), found.get().session().id(), TestSeed.replay(seed));
            assertEquals(expected.label(), found.get().session().session().label(),
                TestSeed.replay(seed));
            checked.increment();
          }
        }
      } catch (Throwable t) {
        failed.compareAndSet(null, t);
      }
    };
    Thread first = new Thread(reader);
    Thread second = new Thread(reader);
    first.start();
    second.start();
    try {
      Instant now = T0;
      for (int round = 0; round < 1_500 && failed.get() == null; round++) {
        // A few shared labels that stay, and long labels of a round each that leave with it,
        // so ids are freed, given to the next round's texts, and the bytes are packed anew.
        for (int n = 0; n < 6; n++) {
          SessionId id = SessionId.of(random.nextLong(), random.nextLong());
          String label = random.nextInt(3) == 0 ? "shared " + random.nextInt(4)
              : "round " + round + " device " + n + " " + "x".repeat(random.nextInt(200));
          TokenHash token = TokenHash.sha256Words(random.nextLong(), random.nextLong(),
              random.nextLong(), random.nextLong());
          held.put(token, new Held(id, label));
          index.create(SessionRecord.of(new Session(id, "user " + n, label, now, now,
              now.plusSeconds(1 + random.nextInt(3))), null, null),
              List.of(TokenRecord.of(token, id)));
        }
        now = now.plusSeconds(1);
        index.purgeExpired(now);
        held.keySet().removeIf(token -> index.find(token).isEmpty());
        presented.set(List.copyOf(held.keySet()));
      }
    } finally {
      done.set(true);
      first.join();
      second.join();
    }
    if (failed.get() != null) {
      throw new AssertionError(failed.get());
    }
    System.out.println("CompactLiveIndexLabelsRaceTest: lookups checked " + checked.sum());
  }
}
