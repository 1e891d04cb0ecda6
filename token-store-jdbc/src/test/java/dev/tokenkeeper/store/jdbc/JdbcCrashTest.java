package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The database server dies mid-load ({@code pg_ctl stop -m immediate}: every server process ends
 * at once, nothing is flushed on the way out) while threads log in and out; after a restart,
 * every login and logout the store acknowledged is there. Calls that failed acknowledged nothing
 * and may have landed or not.
 */
class JdbcCrashTest {

  private static final int THREADS = 4;
  private static final long SEED = 20260101L;

  /** What one worker saw acknowledged, and what it cannot be sure of. */
  private static final class Worker {
    final List<String> loggedIn = new ArrayList<>();
    final List<String> loggedOut = new ArrayList<>();
    final List<String> uncertain = new ArrayList<>();
    int failures;
  }

  @Test
  void crashUnderLoad_thenRestart_noAcknowledgedLoginLost_noAcknowledgedLogoutUndone()
      throws Exception {
    try (PostgresServer server = PostgresServer.start();
        TestPool pool = new TestPool(server.url("connectTimeout=2&socketTimeout=5"))) {
      JdbcTokenStore store =
          JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build();
      TokenService tokens = TokenService.builder().store(store)
          .clock(new MutableClock(Instant.parse("2026-01-01T00:00:00Z"))).build();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger acknowledged = new AtomicInteger();
      // Threads that have met the dead server at least once: the crash is over when all have.
      AtomicInteger metCrash = new AtomicInteger();

      Thread crasher = new Thread(() -> {
        try {
          awaitAtLeast(acknowledged, 300);
          server.crash();
          // Keep the load on until every thread has met the dead server (each then stops).
          awaitAtLeast(metCrash, THREADS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        } finally {
          stop.set(true);
        }
      }, "crasher");
      crasher.start();
      List<Worker> workers = Concurrently.run(THREADS, t -> {
        Worker worker = new Worker();
        Random random = new Random(SEED + t);
        // A worker stops at the crash: going on against a dead server, each logout it tried would
        // move a token it holds to the uncertain ones, and a slow machine, where the last worker
        // meets the crash seconds after the first, left none to check after the restart.
        while (!stop.get() && worker.failures == 0) {
          boolean logout = !worker.loggedIn.isEmpty() && random.nextInt(3) == 0;
          String token = logout
              ? worker.loggedIn.remove(random.nextInt(worker.loggedIn.size())) : null;
          try {
            if (logout) {
              assertTrue(tokens.revoke(token), "a live session was not revoked");
              worker.loggedOut.add(token);
            } else {
              worker.loggedIn.add(tokens.issue("user" + t, "device").plaintext());
            }
            acknowledged.incrementAndGet();
          } catch (StoreUnavailableException e) {
            if (worker.failures++ == 0) {
              metCrash.incrementAndGet();
            }
            if (logout) {
              worker.uncertain.add(token);
            }
          }
        }
        return worker;
      });
      crasher.join(120_000);

      server.startServer();
      awaitServing(() -> tokens.sessions("user0"));
      int logins = 0;
      int logouts = 0;
      for (Worker worker : workers) {
        assertTrue(worker.failures > 0, "a worker never met the crash");
        for (String token : worker.loggedIn) {
          assertTrue(tokens.authenticate(token).isAuthenticated(), "acknowledged login lost");
          logins++;
        }
        for (String token : worker.loggedOut) {
          assertEquals(AuthResult.Reason.REVOKED,
              ((AuthResult.Rejected) tokens.authenticate(token)).reason(),
              "acknowledged logout undone");
          logouts++;
        }
      }
      assertTrue(logins > 0 && logouts > 0, logins + " logins, " + logouts + " logouts");
      store.close();
    }
  }

  /** Bounded polling of a counter other threads move. */
  private static void awaitAtLeast(AtomicInteger counter, int target) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (counter.get() < target) {
      if (System.nanoTime() > deadline) {
        fail("counter stuck at " + counter.get() + " of " + target);
      }
      Thread.sleep(5);
    }
  }

  /** Bounded polling until the store answers again after the restart. */
  static void awaitServing(Runnable call) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try {
        call.run();
        return;
      } catch (StoreUnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the store did not serve again after the restart", e);
        }
        Thread.sleep(50);
      }
    }
  }
}
