package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.RevocationCause;
import dev.tokenkeeper.core.SecurityEventListener;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class TokenMetricsTest {

  private final MutableClock clock = MutableClock.startingAt2026();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Outage store = new Outage();
  private final TokenMetrics metrics = TokenMetrics.builder(registry).build();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock)
      .clientBinding(ClientBinding.Policy.exactAddress()).eventListeners(metrics).build();
  private final Client home = new Client("192.0.2.1", "ua");

  /** Fails every lookup while {@code down}. */
  static final class Outage extends ForwardingTokenStore {
    Outage() {
      super(new InMemoryTokenStore());
    }

    volatile boolean down;

    @Override
    public Optional<TokenEntry> find(TokenHash hash) {
      if (down) {
        throw new StoreUnavailableException("down (test)");
      }
      return super.find(hash);
    }
  }

  private Map<String, Double> counters() {
    return counters(registry);
  }

  /** Every counter of {@code registry}, as {@code name{k=v,...}} to its count. */
  static Map<String, Double> counters(MeterRegistry registry) {
    Map<String, Double> counts = new TreeMap<>();
    for (Meter meter : registry.getMeters()) {
      if (meter instanceof Counter counter) {
        StringBuilder key = new StringBuilder(meter.getId().getName()).append('{');
        for (Tag tag : meter.getId().getTags()) {
          key.append(tag.getKey()).append('=').append(tag.getValue()).append(',');
        }
        counts.put(key.append('}').toString(), counter.count());
      }
    }
    return counts;
  }

  /** Runs {@code call} and checks that exactly {@code moved} counters moved, by the amounts given. */
  private <T> T expect(Map<String, Double> moved, Supplier<T> call) {
    Map<String, Double> before = counters();
    T answer = call.get();
    Map<String, Double> after = counters();
    assertEquals(before.keySet(), after.keySet(), "counters appeared while counting");
    Map<String, Double> diff = new TreeMap<>();
    after.forEach((key, value) -> {
      double delta = value - before.get(key);
      if (delta != 0) {
        diff.put(key, delta);
      }
    });
    assertEquals(new TreeMap<>(moved), diff);
    return answer;
  }

  private static Map<String, Double> one(String key) {
    return Map.of(key, 1.0);
  }

  @Test
  void eachOutcome_movesExactlyItsCounter_byExactlyOne() {
    IssuedToken issued = expect(one("tokenkeeper.issues{kind=token,}"),
        () -> tokens.issue("alice", null, home));
    expect(one("tokenkeeper.authentications{result=authenticated,}"),
        () -> tokens.authenticate(issued.plaintext(), home));
    expect(one("tokenkeeper.authentications{result=malformed,}"),
        () -> tokens.authenticate("tk_nope", home));
    String unknown = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();
    expect(one("tokenkeeper.authentications{result=unknown,}"),
        () -> tokens.authenticate(unknown, home));
    expect(one("tokenkeeper.authentications{result=client_mismatch,}"),
        () -> tokens.authenticate(issued.plaintext(), new Client("198.51.100.9", "ua")));

    IssuedPair pair = expect(one("tokenkeeper.issues{kind=pair,}"),
        () -> tokens.issuePair("alice", null, home));
    String stolen = pair.refreshPlaintext();
    IssuedPair next = expect(one("tokenkeeper.refreshes{result=refreshed,}"),
        () -> ((RefreshResult.Refreshed) tokens.refresh(stolen, home)).pair());
    expect(one("tokenkeeper.refreshes{result=retried,}"), () -> tokens.refresh(stolen, home));
    clock.advance(Duration.ofMinutes(1));
    expect(Map.of("tokenkeeper.reuses{}", 1.0,
            "tokenkeeper.refreshes{result=reused,}", 1.0,
            "tokenkeeper.revocations{cause=reuse,scope=session,}", 1.0),
        () -> tokens.refresh(stolen, home));
    expect(one("tokenkeeper.refreshes{result=revoked,}"),
        () -> tokens.refresh(next.refreshPlaintext(), home));
    expect(one("tokenkeeper.authentications{result=revoked,}"),
        () -> tokens.authenticate(next.access().plaintext(), home));
    expect(one("tokenkeeper.refreshes{result=malformed,}"), () -> tokens.refresh("x", home));

    IssuedToken capped = tokens.issue("alice", null, home);
    expect(one("tokenkeeper.revocations{cause=cap,scope=session,}"),
        () -> tokens.revokeSession("alice", capped.session().id(), RevocationCause.CAP));
    expect(one("tokenkeeper.revocations{cause=user,scope=session,}"),
        () -> tokens.revoke(issued.plaintext()));
    tokens.issue("alice", null, home);
    tokens.issue("alice", null, home);
    expect(Map.of("tokenkeeper.revocations{cause=admin,scope=all,}", 2.0),
        () -> tokens.revokeAll("alice", RevocationCause.ADMIN));

    IssuedToken late = tokens.issue("bob", null, home);
    clock.advance(TokenService.DEFAULT_ABSOLUTE_TTL);
    expect(one("tokenkeeper.authentications{result=expired,}"),
        () -> tokens.authenticate(late.plaintext(), home));

    store.down = true;
    expect(Map.of("tokenkeeper.authentications{result=unavailable,}", 1.0,
            "tokenkeeper.store.unavailable{operation=authenticate,}", 1.0),
        () -> assertThrows(StoreUnavailableException.class,
            () -> tokens.authenticate(late.plaintext(), home)));
    expect(Map.of("tokenkeeper.refreshes{result=unavailable,}", 1.0,
            "tokenkeeper.store.unavailable{operation=refresh,}", 1.0),
        () -> assertThrows(StoreUnavailableException.class,
            () -> tokens.refresh(next.refreshPlaintext(), home)));
  }

  @Test
  void prometheus_showsTheNamesTheReadmeDocuments_fromZero() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    TokenMetrics metered = TokenMetrics.builder(prometheus).liveSessions(() -> 3).build();
    TokenService service = TokenService.builder().store(metered.timed(new InMemoryTokenStore()))
        .eventListeners(metered).build();
    String before = prometheus.scrape();
    assertTrue(before.contains("tokenkeeper_reuses_total 0.0"), before);
    assertTrue(before.contains("tokenkeeper_authentications_total{result=\"revoked\"} 0.0"),
        before);
    assertTrue(before.contains("tokenkeeper_sessions_live 3.0"), before);

    IssuedToken issued = service.issue("alice");
    service.authenticate(issued.plaintext());
    service.revoke(issued.plaintext());
    service.authenticate(issued.plaintext());
    String after = prometheus.scrape();
    PrometheusPage.assertHolds(after,
        "tokenkeeper_authentications_total{result=\"authenticated\"} 1.0",
        "tokenkeeper_authentications_total{result=\"revoked\"} 1.0",
        "tokenkeeper_issues_total{kind=\"token\"} 1.0",
        "tokenkeeper_revocations_total{cause=\"user\",scope=\"session\"} 1.0",
        "tokenkeeper_store_operations_seconds_count{operation=\"find\",outcome=\"success\"} 3",
        "tokenkeeper_store_unavailable_total{operation=\"authenticate\"} 0.0");
  }

  /**
   * Beside a queued listener stuck on a latch, the counters still move at once and exactly, and
   * what that listener missed shows as {@code tokenkeeper.events.dropped}.
   */
  @Test
  void stuckQueuedListener_countersStayExact_andDroppedEventsAreCounted() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    SecurityEventListener stuck = event -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    TokenService slow = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(metrics, stuck).eventQueueCapacity(1).build();
    metrics.countDroppedEvents(slow);
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
        for (int i = 0; i < 5; i++) {
          slow.issue("alice");
        }
      });
      assertEquals(5.0, counters().get("tokenkeeper.issues{kind=token,}"));
      // The stuck listener holds at most one event and the queue one more.
      assertTrue(slow.droppedEvents() >= 3, "dropped " + slow.droppedEvents());
      assertEquals((double) slow.droppedEvents(),
          registry.get("tokenkeeper.events.dropped").functionCounter().count());
    } finally {
      release.countDown();
    }
  }

  @Test
  void builder_validatesItsOptions() {
    assertThrows(NullPointerException.class, () -> TokenMetrics.builder(null));
    TokenMetrics.Builder builder = TokenMetrics.builder(registry).liveSessions(() -> 1);
    assertThrows(IllegalStateException.class, () -> builder.liveSessions(() -> 2));
    assertThrows(NullPointerException.class,
        () -> TokenMetrics.builder(registry).liveSessions(null));
    assertThrows(IllegalStateException.class,
        () -> builder.liveSessionsMaxAge(Duration.ZERO).liveSessionsMaxAge(Duration.ZERO));
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> TokenMetrics.builder(registry).liveSessionsMaxAge(Duration.ofSeconds(-1)));
    assertEquals("liveSessionsMaxAge must not be negative: PT-1S", negative.getMessage());
    IllegalStateException alone = assertThrows(IllegalStateException.class,
        () -> TokenMetrics.builder(registry).liveSessionsMaxAge(Duration.ZERO).build());
    assertEquals("liveSessionsMaxAge needs liveSessions", alone.getMessage());
    assertThrows(NullPointerException.class, () -> metrics.timed(null));
  }

  @Test
  void manyThreads_countExactlyWhatHappened() throws Exception {
    List<IssuedToken> issued = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      issued.add(tokens.issue("user" + i, null, home));
    }
    int threads = 4;
    int calls = 5_000;
    Concurrently.run(threads, t -> {
      for (int i = 0; i < calls; i++) {
        tokens.authenticate(i % 3 == 0 ? "tk_garbage" : issued.get(t).plaintext(), home);
      }
      return null;
    });
    int garbage = threads * ((calls + 2) / 3);
    assertEquals(threads * calls - garbage, registry.get("tokenkeeper.authentications")
        .tag("result", "authenticated").counter().count());
    assertEquals(garbage, registry.get("tokenkeeper.authentications")
        .tag("result", "malformed").counter().count());
  }
}
