package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TimedTokenStoreTest {

  private final MockClock meterClock = new MockClock();
  private final SimpleMeterRegistry registry =
      new SimpleMeterRegistry(SimpleConfig.DEFAULT, meterClock);
  private final Slow slow = new Slow();
  private final TokenStore timed = TokenMetrics.builder(registry).build().timed(slow);
  private final MutableClock clock = MutableClock.startingAt2026();
  private final TokenService tokens = TokenService.builder().store(timed).clock(clock).build();

  /** Takes a known time per call on the meter clock, and fails on demand. */
  final class Slow extends ForwardingTokenStore {
    Slow() {
      super(new InMemoryTokenStore());
    }

    volatile RuntimeException failure;
    volatile Optional<TokenEntry> lastFound;

    private void work(long millis) {
      meterClock.add(millis, TimeUnit.MILLISECONDS);
      RuntimeException e = failure;
      if (e != null) {
        throw e;
      }
    }

    @Override
    public void create(SessionRecord session, List<TokenRecord> tokens) {
      work(7);
      super.create(session, tokens);
    }

    @Override
    public Optional<TokenEntry> find(TokenHash hash) {
      work(3);
      lastFound = super.find(hash);
      return lastFound;
    }
  }

  private Timer timer(String operation, String outcome) {
    return registry.get("tokenkeeper.store.operations")
        .tags("operation", operation, "outcome", outcome).timer();
  }

  @Test
  void everyCall_isTimedByOperationAndOutcome_withTheStoresOwnTime() {
    IssuedToken issued = tokens.issue("alice");
    tokens.authenticate(issued.plaintext());
    tokens.authenticate(issued.plaintext());

    assertEquals(1, timer("create", "success").count());
    assertEquals(7, timer("create", "success").totalTime(TimeUnit.MILLISECONDS));
    assertEquals(2, timer("find", "success").count());
    assertEquals(6, timer("find", "success").totalTime(TimeUnit.MILLISECONDS));
    assertEquals(3, timer("find", "success").max(TimeUnit.MILLISECONDS));
    assertEquals(0, timer("find", "unavailable").count());

    clock.advance(Duration.ofMinutes(1));
    tokens.authenticate(issued.plaintext());
    assertEquals(1, timer("touch", "success").count());
    tokens.revokeAll("alice");
    assertEquals(1, timer("revoke_all", "success").count());
  }

  @Test
  void failures_areTimedAsSuch_andPassThroughUnchanged() {
    IssuedToken issued = tokens.issue("alice");
    StoreUnavailableException down = new StoreUnavailableException("down (test)");
    slow.failure = down;
    assertSame(down, assertThrows(StoreUnavailableException.class,
        () -> tokens.authenticate(issued.plaintext())));
    assertSame(down, assertThrows(StoreUnavailableException.class, () -> tokens.issue("bob")));
    assertEquals(1, timer("find", "unavailable").count());
    assertEquals(3, timer("find", "unavailable").totalTime(TimeUnit.MILLISECONDS));
    assertEquals(1, timer("create", "unavailable").count());

    IllegalArgumentException bug = new IllegalArgumentException("a store refusing (test)");
    slow.failure = bug;
    assertSame(bug, assertThrows(IllegalArgumentException.class, () -> tokens.issue("bob")));
    assertEquals(1, timer("create", "error").count());
    assertEquals(1, timer("create", "success").count());
  }

  @Test
  void timedWrites_timesTheDurableWritesOnly() {
    SimpleMeterRegistry own = new SimpleMeterRegistry(SimpleConfig.DEFAULT, meterClock);
    TokenService service = TokenService.builder()
        .store(TokenMetrics.builder(own).build().timedWrites(slow)).clock(clock).build();
    IssuedToken issued = service.issue("alice");
    clock.advance(Duration.ofMinutes(1));
    service.authenticate(issued.plaintext());
    service.sessions("alice");
    service.revoke(issued.plaintext());
    assertEquals(7, own.get("tokenkeeper.store.operations")
        .tags("operation", "create", "outcome", "success").timer()
        .totalTime(TimeUnit.MILLISECONDS));
    assertEquals(1, own.get("tokenkeeper.store.operations")
        .tags("operation", "revoke_session", "outcome", "success").timer().count());
    for (String read : List.of("find", "find_session", "find_sessions", "touch")) {
      assertTrue(own.find("tokenkeeper.store.operations").tag("operation", read).timers()
          .isEmpty(), read + " is timed");
    }
  }

  @Test
  void answers_areTheStoresOwn() {
    IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
    Optional<TokenEntry> found = timed.find(TokenHash.sha256(pair.refreshPlaintext()));
    assertSame(slow.lastFound, found);
    assertTrue(found.isPresent());
    assertEquals(pair.session().id(), tokens.sessions("alice").get(0).id());
    assertEquals("Timed[" + slow + "]", timed.toString());
  }
}
