package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Several threads issue, authenticate and revoke at once. Invariants: a revoked token never
 * authenticates again, and an issued token not revoked always does (the clock does not move, so
 * nothing expires).
 */
class TokenServiceConcurrencyTest {

  @Test
  void issueAuthenticateRevoke_fromManyThreads_holdsTheInvariants() throws Exception {
    TokenService tokens = TokenService.builder()
        .store(new InMemoryTokenStore()).clock(MutableClock.startingAt2026()).build();
    int threads = 4;
    int rounds = 500;
    ConcurrentLinkedQueue<String> revoked = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> live = new ConcurrentLinkedQueue<>();
    AtomicInteger violations = new AtomicInteger();
    Concurrently.run(threads, t -> {
      String subject = "user" + (t % 2);
      ThreadLocalRandom random = ThreadLocalRandom.current();
      List<String> mine = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        String token = tokens.issue(subject).plaintext();
        mine.add(token);
        String any = mine.get(random.nextInt(mine.size()));
        if (random.nextInt(4) == 0) {
          tokens.revoke(any);
          revoked.add(any);
          mine.remove(any);
        } else if (!tokens.authenticate(any).isAuthenticated()) {
          violations.incrementAndGet();
        }
        // Tokens another thread revoked must stay refused while we run.
        String other = revoked.peek();
        if (other != null && tokens.authenticate(other).isAuthenticated()) {
          violations.incrementAndGet();
        }
      }
      live.addAll(mine);
      return null;
    });
    assertEquals(0, violations.get());
    for (String token : revoked) {
      assertTrue(!tokens.authenticate(token).isAuthenticated());
    }
    for (String token : live) {
      assertTrue(tokens.authenticate(token).isAuthenticated());
    }
    assertEquals(live.size(), tokens.sessions("user0").size() + tokens.sessions("user1").size());
  }
}
