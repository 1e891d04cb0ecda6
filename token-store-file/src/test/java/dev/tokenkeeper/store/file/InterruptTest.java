package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenService;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An interrupted caller never breaks the store. An interrupt reaching a thread inside a
 * {@code FileChannel} operation closes the channel for every user
 * ({@code ClosedByInterruptException}), and a failed log write latches the store failed; so a
 * {@code Future.cancel(true)}, an executor's {@code shutdownNow} or a container's stuck-thread
 * handling in one request would take logins and logouts down for everyone. Each test interrupts a
 * caller at one step (before its call, queued behind another batch, while its own force runs, in
 * a compaction, a close, an open) with a real disk underneath, and expects: the call is
 * acknowledged, the caller's interrupt is still set afterwards, the store keeps taking writes
 * from others, and a reopen holds everything acknowledged.
 */
class InterruptTest {

  @TempDir
  Path dir;

  private final FaultyDisk disk = new FaultyDisk();
  private FileTokenStore store;
  /** What the store acknowledged, checked against a reopen after each test. */
  private final List<Issued> created = Collections.synchronizedList(new ArrayList<>());
  private final List<Issued> revoked = Collections.synchronizedList(new ArrayList<>());
  private final List<String> issued = Collections.synchronizedList(new ArrayList<>());

  private FileTokenStore open(Durability durability) {
    store = FileTokenStore.builder().directory(dir).disk(disk).durability(durability)
        .clock(new MutableClock(T0)).touchPersistInterval(Duration.ofHours(1)).build();
    return store;
  }

  private FileTokenStore open() {
    return open(Durability.SYNC);
  }

  @AfterEach
  void reopenHoldsEverythingAcknowledged() {
    if (store != null) {
      store.close();
    }
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      for (Issued session : created) {
        assertTrue(session.in(reopened).isPresent(), "acknowledged, then lost: " + session);
      }
      for (Issued session : revoked) {
        assertTrue(session.isRevokedIn(reopened), "revoke acknowledged, then lost: " + session);
      }
      TokenService tokens = TokenService.builder().store(reopened).build();
      for (String token : issued) {
        assertTrue(tokens.authenticate(token) instanceof AuthResult.Authenticated,
            "an issued token was lost");
      }
    }
  }

  /** A call on a thread of its own, and whether that thread's interrupt was set after it. */
  private static final class Caller<T> {
    final Thread thread;
    final CompletableFuture<T> outcome = new CompletableFuture<>();
    volatile boolean interrupted;
    volatile boolean interruptedAfter;

    Caller(String name, boolean interruptFirst, Supplier<T> call) {
      interrupted = interruptFirst;
      thread = new Thread(() -> {
        if (interruptFirst) {
          Thread.currentThread().interrupt();
        }
        try {
          T value = call.get();
          interruptedAfter = Thread.currentThread().isInterrupted();
          outcome.complete(value);
        } catch (Throwable e) {
          interruptedAfter = Thread.currentThread().isInterrupted();
          outcome.completeExceptionally(e);
        }
      }, name);
      thread.start();
    }

    /** Waits (bounded) until the call is parked in the store. */
    Caller<T> awaitWaiting() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (thread.getState() != Thread.State.WAITING
          && thread.getState() != Thread.State.TIMED_WAITING) {
        if (outcome.isDone()) {
          throw new AssertionError(thread.getName() + " returned before it waited");
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(thread.getName() + " never waited");
        }
        Thread.sleep(1);
      }
      return this;
    }

    void interrupt() {
      interrupted = true;
      thread.interrupt();
    }

    /**
     * The call's result; fails the test if it threw, naming what, or if it returned with the
     * interrupt it was given cleared.
     */
    T acknowledged() throws InterruptedException, TimeoutException {
      try {
        T value = outcome.get(30, TimeUnit.SECONDS);
        assertEquals(interrupted, interruptedAfter,
            thread.getName() + " returned with its interrupt changed");
        return value;
      } catch (ExecutionException e) {
        throw new AssertionError(thread.getName() + " was refused after an interrupt",
            e.getCause());
      }
    }
  }

  /** Creates a session of {@code subject}, to be found after the reopen. */
  private Issued create(FileTokenStore store, String subject) {
    Issued session = Issued.create(store, subject);
    created.add(session);
    return session;
  }

  /** Another thread's write goes through: the interrupt broke nothing for anyone else. */
  private void othersStillWrite(FileTokenStore store) {
    assertFalse(store.isFailed(), "an interrupted caller failed the store");
    Issued other = create(store, "other");
    assertTrue(other.revoke(store, T0.plusSeconds(5)));
    revoked.add(other);
  }

  @Test
  void create_callerAlreadyInterrupted_isAcknowledgedAndKeepsItsInterrupt() throws Exception {
    FileTokenStore store = open();
    Issued session = new Caller<>("interrupted", true, () -> Issued.create(store, "alice"))
        .acknowledged();
    created.add(session);
    othersStillWrite(store);
  }

  @Test
  void create_callerInterruptedWhileQueuedBehindAForce_isAcknowledged() throws Exception {
    FileTokenStore store = open();
    FaultyDisk.Hold hold = disk.holdNextForce("log-");
    Caller<Issued> first = new Caller<>("first", false, () -> Issued.create(store, "alice"));
    hold.awaitHeld();
    Caller<Issued> queued =
        new Caller<>("queued", false, () -> Issued.create(store, "bob")).awaitWaiting();
    queued.interrupt();
    hold.release();

    created.add(first.acknowledged());
    created.add(queued.acknowledged());
    othersStillWrite(store);
  }

  @Test
  void revoke_callerInterruptedWhileItsForceRuns_isAcknowledgedAndDurable() throws Exception {
    FileTokenStore store = open();
    Issued session = create(store, "alice");
    FaultyDisk.Hold hold = disk.holdNextForce("log-");
    Caller<Boolean> revoke =
        new Caller<>("revoke", false, () -> session.revoke(store, T0.plusSeconds(1)));
    hold.awaitHeld();
    revoke.interrupt();
    hold.release();

    assertTrue(revoke.acknowledged());
    revoked.add(session);
    othersStillWrite(store);
  }

  @Test
  void issue_cancelledWithInterruptDuringItsForce_storeKeepsServing() throws Exception {
    FileTokenStore store = open();
    TokenService tokens = TokenService.builder().store(store).build();
    ExecutorService requests = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<IssuedToken> outcome = new CompletableFuture<>();
      AtomicBoolean interruptedAfter = new AtomicBoolean();
      FaultyDisk.Hold hold = disk.holdNextForce("log-");
      Future<?> request = requests.submit(() -> {
        try {
          IssuedToken token = tokens.issue("alice", "laptop");
          interruptedAfter.set(Thread.currentThread().isInterrupted());
          outcome.complete(token);
        } catch (Throwable e) {
          interruptedAfter.set(Thread.currentThread().isInterrupted());
          outcome.completeExceptionally(e);
        }
      });
      hold.awaitHeld();
      assertTrue(request.cancel(true));
      hold.release();

      IssuedToken token = outcome.get(30, TimeUnit.SECONDS);
      issued.add(token.plaintext());
      assertTrue(tokens.authenticate(token.plaintext()) instanceof AuthResult.Authenticated);
      assertTrue(interruptedAfter.get(), "the cancelled request's interrupt was cleared");
      issued.add(tokens.issue("bob", "phone").plaintext());
      othersStillWrite(store);
    } finally {
      requests.shutdownNow();
    }
  }

  @Test
  void compact_callerInterruptedWhileTheSnapshotIsForced_compactsAndStoreKeepsWriting()
      throws Exception {
    FileTokenStore store = open();
    for (int i = 0; i < 20; i++) {
      create(store, "user" + i);
    }
    FaultyDisk.Hold hold = disk.holdNextForce("snapshot-");
    Caller<Boolean> compaction = new Caller<>("compaction", false, () -> {
      store.compact();
      return true;
    });
    hold.awaitHeld();
    compaction.interrupt();
    hold.release();

    assertTrue(compaction.acknowledged());
    assertEquals(1, store.stats().compactions());
    othersStillWrite(store);
  }

  @Test
  void compact_callerAlreadyInterrupted_compactsAndStoreKeepsWriting() throws Exception {
    FileTokenStore store = open();
    create(store, "alice");
    assertTrue(new Caller<>("compaction", true, () -> {
      store.compact();
      return true;
    }).acknowledged());
    assertEquals(1, store.stats().compactions());
    othersStillWrite(store);
  }

  @Test
  void close_callerInterrupted_writesPendingUsesAndClosesCleanly() throws Exception {
    FileTokenStore store = open();
    Issued session = create(store, "alice");
    Instant used = T0.plusSeconds(60);
    store.touch(session.session().id(), used, T0.plusSeconds(7200));
    new Caller<>("close", true, () -> {
      store.close();
      return true;
    }).acknowledged();

    assertTrue(StoreScan.read(new StoreDirectory(dir, Disk.system())).closedCleanly,
        "the log does not end in a clean close's mark");
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      SessionRecord after = session.in(reopened).orElseThrow();
      assertEquals(used, after.session().lastUsedAt(), "the pending use was not written");
    }
  }

  @Test
  void open_callerInterrupted_readsAndRecoversTheStore() throws Exception {
    FileTokenStore first = open();
    create(first, "alice");
    first.abandon(); // unclean: the open rewrites it as a snapshot and a fresh log
    store = new Caller<>("open", true, () -> FileTokenStore.builder().directory(dir)
        .disk(disk).build()).acknowledged();
    othersStillWrite(store);
  }

  /**
   * Four writers create and revoke while a fifth thread interrupts them at random moments, and
   * each writer also interrupts itself before every tenth call; nothing may be refused.
   */
  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"SYNC", "NONE"})
  void writes_callersInterruptedAtRandom_allAcknowledged(Durability durability)
      throws Exception {
    long seed = Long.getLong("interrupt.seed", System.nanoTime());
    System.out.println("interrupt test seed=" + seed + " (-Dinterrupt.seed=" + seed
        + " replays the choices)");
    FileTokenStore store = open(durability);
    Random random = new Random(seed);
    int writers = 4;
    int calls = 60;
    List<CompletableFuture<Void>> done = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    AtomicInteger keptInterrupts = new AtomicInteger();
    for (int w = 0; w < writers; w++) {
      long writerSeed = random.nextLong();
      String subject = "writer" + w;
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      Thread thread = new Thread(() -> {
        Random choices = new Random(writerSeed);
        List<Issued> mine = new ArrayList<>();
        try {
          for (int call = 0; call < calls; call++) {
            boolean self = call % 10 == 0;
            if (self) {
              Thread.currentThread().interrupt();
            }
            Issued.createOrRevoke(store, subject, choices, mine, T0.plusSeconds(call), created,
                revoked);
            boolean interrupted = Thread.interrupted();
            if (self && interrupted) {
              keptInterrupts.incrementAndGet();
            }
          }
          finished.complete(null);
        } catch (Throwable e) {
          finished.completeExceptionally(e);
        }
      }, "writer-" + w);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
    CompletableFuture<Void> all = CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    while (!all.isDone()) {
      threads.get(random.nextInt(writers)).interrupt();
      LockSupport.parkNanos(random.nextInt(500_000));
    }
    for (int w = 0; w < writers; w++) {
      try {
        done.get(w).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("writer " + w + " was refused (seed " + seed + ")", e.getCause());
      }
    }
    assertEquals(writers * (calls / 10), keptInterrupts.get(),
        "a call cleared its caller's interrupt (seed " + seed + ")");
    othersStillWrite(store);
  }

  /**
   * Writers interrupted at random race a close made from an interrupted thread, with
   * compactions running: each call is acknowledged or refused as closed, the close is clean, and
   * the reopen after holds every acknowledged write.
   */
  @Test
  void close_racingWritersInterruptedAtRandom_keepsEveryAcknowledgedWrite() throws Exception {
    long seed = Long.getLong("interrupt.seed", System.nanoTime());
    System.out.println("close race seed=" + seed + " (-Dinterrupt.seed=" + seed
        + " replays the choices)");
    Random random = new Random(seed);
    FileTokenStore store = FileTokenStore.builder().directory(dir).disk(disk)
        .clock(new MutableClock(T0)).touchPersistInterval(Duration.ofMillis(1))
        .compactionThreshold(8 << 10).build();
    this.store = store;
    int writers = 3;
    List<CompletableFuture<Void>> done = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      long writerSeed = random.nextLong();
      String subject = "writer" + w;
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      threads.add(new Thread(() -> {
        Random choices = new Random(writerSeed);
        List<Issued> mine = new ArrayList<>();
        try {
          for (int call = 0; ; call++) {
            Issued.createOrRevoke(store, subject, choices, mine, T0.plusSeconds(call), created,
                revoked);
            if (!mine.isEmpty()) {
              store.touch(mine.get(0).session().id(), T0.plusSeconds(call),
                  T0.plusSeconds(3600));
            }
          }
        } catch (IllegalStateException closed) {
          finished.complete(null);
        } catch (Throwable e) {
          finished.completeExceptionally(e);
        }
      }, "writer-" + w));
    }
    threads.forEach(Thread::start);
    long closeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50 + random.nextInt(200));
    while (System.nanoTime() < closeAt) {
      threads.get(random.nextInt(writers)).interrupt();
      LockSupport.parkNanos(random.nextInt(300_000));
    }
    Caller<Boolean> close = new Caller<>("close", true, () -> {
      store.close();
      return true;
    });
    while (!close.outcome.isDone()) {
      threads.get(random.nextInt(writers)).interrupt();
      LockSupport.parkNanos(random.nextInt(300_000));
    }
    close.acknowledged();
    for (int w = 0; w < writers; w++) {
      try {
        done.get(w).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("writer " + w + " was refused other than as closed (seed "
            + seed + ")", e.getCause());
      }
    }
    assertFalse(store.isFailed(), "the store failed (seed " + seed + ")");
    assertTrue(StoreScan.read(new StoreDirectory(dir, Disk.system())).closedCleanly,
        "the log does not end in a clean close's mark (seed " + seed + ")");
  }
}
