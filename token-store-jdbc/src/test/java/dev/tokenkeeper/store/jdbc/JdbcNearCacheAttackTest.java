package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.TokenService;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attack on the near cache with real threads and real time (the default monotonic ticker and
 * the system clock): readers hammer {@code authenticate} while logouts (by token, by session id,
 * everywhere) and purges run. A logout through the same instance must never be served stale to
 * a call that starts after it was acknowledged; one through another instance at most
 * {@code nearCacheTtl} after it was acknowledged.
 *
 * <p>Promise 1 (near cache part) HOLDS.
 */
class JdbcNearCacheAttackTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final int SESSIONS = 120;
  private static final int READERS = 3;

  private static PostgresServer server;
  private static TestPool pool;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build().close();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void emptyTables() throws Exception {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE tokenkeeper_token, tokenkeeper_session");
    }
  }

  /** A login: its subject, access token and refresh token. */
  private record Login(String subject, IssuedPair pair) {}

  private static List<Login> login(TokenService tokens, int subjects) {
    List<Login> logins = new ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      String subject = "user" + (i % subjects);
      logins.add(new Login(subject, tokens.issuePair(subject, "d" + i, CLIENT)));
    }
    return logins;
  }

  @Test
  void logoutsThroughTheSameInstance_areNeverServedStale_underConcurrentReadsAndPurges()
      throws Exception {
    try (JdbcTokenStore cached = JdbcTokenStore.builder().dataSource(pool)
        .nearCacheTtl(JdbcTokenStore.Builder.MAX_NEAR_CACHE_TTL).build()) {
      TokenService tokens = TokenService.builder().store(cached).build();
      // Sessions that expire during the run, so purges delete rows and clear the cache.
      TokenService shortLived = TokenService.builder().store(cached)
          .absoluteTtl(Duration.ofMillis(200)).build();
      List<Login> logins = login(tokens, 30);
      for (Login login : logins) {
        assertTrue(tokens.authenticate(login.pair().access().plaintext()).isAuthenticated());
      }
      // Acknowledged-logout marks, set only after the call returned.
      Map<String, Boolean> dead = new ConcurrentHashMap<>();
      AtomicBoolean done = new AtomicBoolean();
      List<String> violations = new CopyOnWriteArrayList<>();
      AtomicLong reads = new AtomicLong();

      Concurrently.run(READERS + 2, t -> {
        Random random = new Random(t);
        if (t == READERS) { // the logout thread
          List<Login> order = new ArrayList<>(logins);
          Collections.shuffle(order, random);
          for (Login login : order) {
            if (dead.containsKey(login.pair().access().plaintext())) {
              continue;
            }
            switch (random.nextInt(3)) {
              case 0 -> tokens.revoke(login.pair().refreshPlaintext());
              case 1 -> tokens.revokeSession(login.subject(), login.pair().session().id());
              default -> {
                tokens.revokeAll(login.subject());
                for (Login same : logins) {
                  if (same.subject().equals(login.subject())) {
                    dead.put(same.pair().access().plaintext(), true);
                  }
                }
              }
            }
            dead.put(login.pair().access().plaintext(), true);
            Thread.sleep(random.nextInt(3));
          }
          done.set(true);
        } else if (t == READERS + 1) { // purges, with expired rows to delete
          while (!done.get()) {
            shortLived.issue("ephemeral");
            Thread.sleep(50);
            tokens.purgeExpired();
          }
        } else {
          while (!done.get()) {
            Login login = logins.get(random.nextInt(logins.size()));
            String access = login.pair().access().plaintext();
            boolean ackedBefore = dead.containsKey(access);
            AuthResult result = tokens.authenticate(access);
            reads.incrementAndGet();
            if (ackedBefore && result.isAuthenticated()) {
              violations.add(login.subject() + " " + login.pair().session().id());
            }
          }
        }
        return null;
      });
      assertEquals(List.of(), violations,
          "a logout acknowledged through this instance was served stale from its near cache");
      for (Login login : logins) {
        assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
            tokens.authenticate(login.pair().access().plaintext()));
      }
      assertTrue(reads.get() > 200, "too few reads to mean anything: " + reads.get());
    }
  }

  @Test
  void logoutsThroughAnotherInstance_areServedAtMostTheTtl_underConcurrentReads()
      throws Exception {
    Duration ttl = Duration.ofMillis(1500);
    long ttlNanos = ttl.toNanos();
    try (JdbcTokenStore cached =
            JdbcTokenStore.builder().dataSource(pool).nearCacheTtl(ttl).build();
        TestPool otherPool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
        JdbcTokenStore other = JdbcTokenStore.builder().dataSource(otherPool).build()) {
      TokenService here = TokenService.builder().store(cached).build();
      TokenService elsewhere = TokenService.builder().store(other).build();
      List<Login> logins = login(elsewhere, 40);
      for (Login login : logins) {
        assertTrue(here.authenticate(login.pair().access().plaintext()).isAuthenticated());
      }
      // When each logout was acknowledged elsewhere (System.nanoTime, the cache's ticker).
      Map<String, Long> ackedAt = new ConcurrentHashMap<>();
      AtomicBoolean done = new AtomicBoolean();
      List<String> violations = new CopyOnWriteArrayList<>();
      AtomicLong worstStale = new AtomicLong();

      Concurrently.run(READERS + 1, t -> {
        Random random = new Random(100 + t);
        if (t == READERS) {
          List<Login> order = new ArrayList<>(logins);
          Collections.shuffle(order, random);
          for (Login login : order) {
            if (ackedAt.containsKey(login.pair().access().plaintext())) {
              continue;
            }
            if (random.nextBoolean()) {
              elsewhere.revoke(login.pair().access().plaintext());
              ackedAt.put(login.pair().access().plaintext(), System.nanoTime());
            } else {
              elsewhere.revokeAll(login.subject());
              long at = System.nanoTime();
              for (Login same : logins) {
                if (same.subject().equals(login.subject())) {
                  ackedAt.putIfAbsent(same.pair().access().plaintext(), at);
                }
              }
            }
            Thread.sleep(5);
          }
          Thread.sleep(ttl.toMillis() + 500); // let the readers run past every bound
          done.set(true);
        } else {
          while (!done.get()) {
            Login login = logins.get(random.nextInt(logins.size()));
            String access = login.pair().access().plaintext();
            long start = System.nanoTime();
            Long acked = ackedAt.get(access);
            if (here.authenticate(access).isAuthenticated() && acked != null) {
              long stale = start - acked;
              worstStale.accumulateAndGet(stale, Math::max);
              if (stale >= ttlNanos) {
                violations.add(login.pair().session().id() + " served " + stale / 1_000_000
                    + " ms after its logout was acknowledged elsewhere");
              }
            }
          }
        }
        return null;
      });
      assertEquals(List.of(), violations);
      System.err.println("near cache: worst stale authenticate after a remote logout: "
          + worstStale.get() / 1_000_000 + " ms (bound " + ttl.toMillis() + " ms)");
      for (Login login : logins) {
        assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
            here.authenticate(login.pair().access().plaintext()));
      }
    }
  }

  /**
   * A refresh never answers from the cache: a refresh on the cached instance racing a logout on
   * the other is either refused or its new pair dies with the session, on both instances, within
   * the bound (the refused part at once).
   */
  @Test
  void refreshHere_racingLogoutElsewhere_noRefreshTokenOutlivesTheLogout() throws Exception {
    try (JdbcTokenStore cached = JdbcTokenStore.builder().dataSource(pool)
            .nearCacheTtl(Duration.ofSeconds(5)).build();
        TestPool otherPool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
        JdbcTokenStore other = JdbcTokenStore.builder().dataSource(otherPool).build()) {
      TokenService here = TokenService.builder().store(cached).build();
      TokenService elsewhere = TokenService.builder().store(other).build();
      for (int trial = 0; trial < 40; trial++) {
        IssuedPair pair = here.issuePair("racer" + trial, null, CLIENT);
        assertTrue(here.authenticate(pair.access().plaintext()).isAuthenticated());
        String subject = "racer" + trial;
        List<Object> results = Concurrently.run(2, t -> t == 0
            ? here.refresh(pair.refreshPlaintext(), CLIENT)
            : (Object) elsewhere.revokeAll(subject));
        if (results.get(0) instanceof dev.tokenkeeper.core.RefreshResult.Refreshed r) {
          assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
              elsewhere.authenticate(r.pair().access().plaintext()));
          assertTrue(!here.refresh(r.pair().refreshPlaintext(), CLIENT).isRefreshed(),
              "a pair minted by a refresh racing the logout outlived it");
        }
        assertTrue(!here.refresh(pair.refreshPlaintext(), CLIENT).isRefreshed());
      }
    }
  }
}
