package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The per-subject index through its shapes: one hash, a small array, a set, and back. */
class LiveSetTest {

  @Test
  void subjectIndex_growingAndShrinkingThroughEveryShape_listsExactlyWhatIsStored() {
    LiveSet live = new LiveSet();
    List<TokenRecord> alice = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      TokenRecord record = TokenStoreContract.record("alice");
      assertTrue(live.add(record));
      alice.add(record);
      assertEquals(hashes(alice), hashes(live.bySubject("alice")));
    }
    TokenRecord bob = TokenStoreContract.record("bob");
    live.add(bob);
    Collections.shuffle(alice, new Random(7));
    while (!alice.isEmpty()) {
      TokenRecord gone = alice.remove(alice.size() - 1);
      assertTrue(live.delete(gone.hash()));
      assertEquals(hashes(alice), hashes(live.bySubject("alice")));
    }
    assertEquals(List.of(bob), live.bySubject("bob"));
  }

  @Test
  void revokeAll_smallArray_revokesEach() {
    LiveSet live = new LiveSet();
    for (int i = 0; i < 3; i++) {
      live.add(TokenStoreContract.record("alice"));
    }
    assertEquals(3, live.revokeAll("alice", Instant.parse("2026-01-01T00:00:01Z")));
    assertTrue(live.bySubject("alice").stream().allMatch(TokenRecord::isRevoked));
  }

  private static Set<TokenHash> hashes(List<TokenRecord> records) {
    return records.stream().map(TokenRecord::hash).collect(Collectors.toCollection(HashSet::new));
  }
}
