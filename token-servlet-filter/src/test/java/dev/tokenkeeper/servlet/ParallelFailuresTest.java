package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real threads sending unknown tokens at once from one address, through a real Jetty: the filter
 * reserves each failure before the store lookup, so no more lookups happen than the limit allows
 * however many requests race, and a session's rate limit holds the same way.
 */
class ParallelFailuresTest {

  private static final int LIMIT = 5;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final CountingTokenStore store = new CountingTokenStore();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock).build();
  private TestServer server;

  @AfterEach
  void stop() {
    server.close();
  }

  @ParameterizedTest(name = "{0} threads")
  @ValueSource(ints = {16, 64})
  void unknownTokens_inParallel_makeAtMostTheLimitsLookups(int threads) throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .failureLimit(LIMIT, Duration.ofMinutes(1)).clock(clock).build());
    String unknown = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();

    List<Integer> statuses = Concurrently.run(threads,
        t -> server.getWithToken("/api/me", unknown).statusCode());

    System.out.println("parallel unknown tokens: threads=" + threads + " lookups="
        + store.finds() + " limit=" + LIMIT);
    assertTrue(store.finds() <= LIMIT, "lookups: " + store.finds());
    assertEquals(store.finds(), statuses.stream().filter(s -> s == 401).count());
    assertEquals(threads - store.finds(), statuses.stream().filter(s -> s == 429).count());
  }

  @ParameterizedTest(name = "{0} threads")
  @ValueSource(ints = {16, 64})
  void oneSession_inParallel_getsExactlyItsRateLimit(int threads) throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .sessionRateLimit(LIMIT, Duration.ofMinutes(1)).clock(clock).build());
    String token = tokens.issue("alice").plaintext();

    List<Integer> statuses = Concurrently.run(threads,
        t -> server.getWithToken("/api/me", token).statusCode());

    assertEquals(LIMIT, statuses.stream().filter(s -> s == 200).count());
    assertEquals(threads - LIMIT, statuses.stream().filter(s -> s == 429).count());
  }
}
