package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Lookups keep decoded labels in a small table by text id, so ids that differ by its size share
 * an entry; and purges give the ids of dropped labels to new ones. With more labels than entries,
 * sessions logged out (their label moved out of the slot) and short sessions whose unique labels
 * come and go, two readers must each get their own session's subject and label on every lookup,
 * and no lookup may throw.
 */
class CompactLiveIndexLabelAliasTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Instant END = T0.plusSeconds(1_000_000);
  private static final int LASTING = 700;
  private static final int ROUNDS = 1_500;

  @Test
  void moreLabelsThanEntries_idsReused_eachLookupReadsItsOwnTexts() throws Exception {
    long seed = TestSeed.of("CompactLiveIndexLabelAliasTest");
    String replay = TestSeed.replay(seed);
    Random random = new Random(seed);
    CompactLiveIndex index = new CompactLiveIndex();
    List<Issued> lasting = new ArrayList<>();
    for (int i = 0; i < LASTING; i++) {
      lasting.add(
          Issued.create(index, random, "user " + (i % 50), "lasting device " + i, T0, END));
    }
    AtomicReference<List<Issued>> brief = new AtomicReference<>(List.of());
    AtomicBoolean done = new AtomicBoolean();
    LongAdder checked = new LongAdder();
    long[] seeds = random.longs(3).toArray();
    Concurrently.run(3, thread -> {
      Random mine = new Random(seeds[thread]);
      if (thread < 2) {
        try {
          while (!done.get()) {
            List<Issued> now = brief.get();
            Issued held = now.isEmpty() || mine.nextBoolean()
                ? lasting.get(mine.nextInt(LASTING)) : now.get(mine.nextInt(now.size()));
            Optional<TokenEntry> found = index.find(held.hash());
            if (found.isPresent()) { // a short session may have been purged since it was listed
              Session session = found.get().session().session();
              assertEquals(held.id(), session.id(), replay);
              assertEquals(held.subject(), session.subject(), replay);
              assertEquals(held.label(), session.label(), replay);
              checked.increment();
            } else {
              assertTrue(!lasting.contains(held), "a lasting session was not found: " + replay);
            }
          }
        } finally {
          done.set(true);
        }
        return null;
      }
      try {
        Instant now = T0;
        for (int round = 0; round < ROUNDS && !done.get(); round++) {
          now = now.plusSeconds(1);
          List<Issued> next = new ArrayList<>();
          for (Issued held : brief.get()) {
            if (index.find(held.hash()).isPresent()) {
              next.add(held);
            }
          }
          for (int n = 0; n < 4; n++) {
            // Labels of a round each: dropped at the purge two rounds on, their ids given out anew.
            next.add(Issued.create(index, mine, "brief " + mine.nextInt(300),
                "round " + round + " tab " + n + " " + "y".repeat(mine.nextInt(80)), now,
                now.plusSeconds(1 + mine.nextInt(2))));
          }
          brief.set(List.copyOf(next));
          if (mine.nextInt(10) == 0) {
            // Its label leaves the slot for records; the text stays pooled until a purge.
            Issued target = next.get(mine.nextInt(next.size()));
            index.revokeSession(target.id(), now);
          }
          index.purgeExpired(now);
        }
      } finally {
        done.set(true);
      }
      return null;
    });
    System.out.println("CompactLiveIndexLabelAliasTest: lookups checked " + checked.sum());
    assertTrue(checked.sum() > 0, replay);
  }
}
