package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static dev.tokenkeeper.store.file.RandomSessions.hashOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Concurrent writers on {@link PowerCutDisk}: four threads create, revoke, revoke everywhere,
 * use and compact at once while one fault strikes each round: a leader's fsync held until others
 * queue behind it (a compaction among them, often) and then failed, a failed write or fsync, or a
 * power cut mid-write. After each round the machine loses power (or the store is closed) and the
 * store is reopened: every acknowledged create and revoke must be there, nothing never tried may
 * appear, no open may be refused, and no file may be forced after a force of it failed.
 *
 * <p>CI runs a few seeds; more with {@code -Dpowercut.concurrent.seeds=N}, one with
 * {@code -Dpowercut.concurrent.seed=N} (a seed fixes the choices, not the thread interleaving).
 */
class ConcurrentPowerCutTest {

  private static final int CI_SEEDS = 12;
  private static final int ROUNDS = 5;
  private static final int WRITERS = 4;
  private static final String[] SUBJECTS = {"alice", "bob", "carol"};

  private static final AtomicLong SEEDS = new AtomicLong();
  private static final AtomicLong ROUNDS_RUN = new AtomicLong();
  private static final AtomicLong HELD_FAILURES = new AtomicLong();
  private static final AtomicLong ACKNOWLEDGED = new AtomicLong();
  private static final AtomicLong LOST = new AtomicLong();
  private static final AtomicLong RESURRECTED = new AtomicLong();

  @TempDir
  Path tmp;

  static Stream<Long> seeds() {
    String one = System.getProperty("powercut.concurrent.seed");
    if (one != null) {
      return Stream.of(Long.parseLong(one));
    }
    long first = Long.getLong("powercut.concurrent.firstSeed", 1);
    return LongStream.range(first,
        first + Integer.getInteger("powercut.concurrent.seeds", CI_SEEDS)).boxed();
  }

  @AfterAll
  static void summary() {
    System.out.printf("concurrent power-cut suite: seeds=%d rounds=%d held_fsync_failures=%d "
        + "acknowledged=%d lost=%d resurrected=%d%n", SEEDS.get(), ROUNDS_RUN.get(),
        HELD_FAILURES.get(), ACKNOWLEDGED.get(), LOST.get(), RESURRECTED.get());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void concurrentWriters_faultsAndPowerCuts_loseNothingAcknowledged(long seed) throws Exception {
    History history = new History(seed, tmp.resolve("store"));
    try {
      history.run();
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage() + "; rerun: mvn -B -pl "
          + "token-store-file test -Dtest=ConcurrentPowerCutTest -Dpowercut.concurrent.seed="
          + seed, e);
    }
    SEEDS.incrementAndGet();
  }

  /**
   * The same histories with every writer interrupted at random moments meanwhile, as a
   * {@code Future.cancel(true)} or an executor's {@code shutdownNow} would: nothing may change,
   * since the store ignores its callers' interrupts.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void concurrentWriters_interruptedAtRandom_faultsAndPowerCuts_loseNothingAcknowledged(
      long seed) throws Exception {
    History history = new History(seed, tmp.resolve("store"));
    history.interrupts = true;
    try {
      history.run();
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + " (interrupted writers): " + e.getMessage(), e);
    }
  }

  private static final class History {
    /** Whether a thread interrupts the writers at random throughout each round. */
    boolean interrupts;
    final Random random;
    final Path dir;
    final PowerCutDisk disk;
    final Durability durability;
    final MutableClock clock = new MutableClock(T0);
    /** Every session a create was tried for, by id; and by its token's hash. */
    final Map<SessionId, SessionRecord> tried = new ConcurrentHashMap<>();
    final Map<TokenHash, SessionId> tokens = new ConcurrentHashMap<>();
    final Set<SessionId> acknowledged = ConcurrentHashMap.newKeySet();
    final Set<SessionId> revokeTried = ConcurrentHashMap.newKeySet();
    /** Subjects a revoke-all was tried for: it may cover sessions created meanwhile. */
    final Set<String> revokeAllTried = ConcurrentHashMap.newKeySet();
    final Set<SessionId> revoked = ConcurrentHashMap.newKeySet();

    History(long seed, Path dir) {
      this.random = new Random(seed);
      this.dir = dir;
      this.durability = random.nextInt(4) == 0 ? Durability.NONE : Durability.SYNC;
      this.disk = new PowerCutDisk(dir, seed, EnumSet.allOf(PowerCutDisk.Tail.class));
    }

    void run() throws Exception {
      for (int round = 0; round < ROUNDS; round++) {
        FileTokenStore store = open();
        check(store);
        round(store, new Random(random.nextLong()));
        ROUNDS_RUN.incrementAndGet();
        assertEquals(0, disk.forcesAfterFailure(), "a file was forced after its force failed");
        boolean failed = disk.failed() != null;
        disk.disarm();
        if (!failed && random.nextBoolean()) {
          store.close();
          continue;
        }
        store.abandon();
        disk.powerCut();
      }
      try (FileTokenStore store = open()) {
        check(store);
      }
    }

    private FileTokenStore open() {
      try {
        return FileTokenStore.builder().directory(dir).disk(disk).clock(clock)
            .durability(durability).touchPersistInterval(Duration.ofHours(1))
            .compactionThreshold(8_000).build();
      } catch (StoreCorruptedException e) {
        throw new AssertionError("open refused without damage to forced bytes: " + e, e);
      }
    }

    private void round(FileTokenStore store, Random plan) throws Exception {
      int fault = plan.nextInt(4);
      PowerCutDisk.Hold hold = fault == 0 ? disk.holdNextForce() : null;
      if (fault == 1) {
        disk.failAfter(10 + plan.nextInt(60));
      } else if (fault == 2) {
        disk.cutAfter(10 + plan.nextInt(60));
      }
      long[] seeds = plan.longs(WRITERS).toArray();
      long interrupterSeed = interrupts ? plan.nextLong() : 0;
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> writers = new ArrayList<>();
      AtomicInteger running = new AtomicInteger(WRITERS);
      Concurrently.run(WRITERS + 2, thread -> {
        if (thread < WRITERS) {
          synchronized (writers) {
            writers.add(Thread.currentThread());
          }
          try {
            write(store, new Random(seeds[thread]), thread == 0, stop,
                hold != null ? 10_000 : 60);
          } finally {
            synchronized (writers) {
              writers.remove(Thread.currentThread());
            }
            running.decrementAndGet();
            Thread.interrupted();
          }
        } else if (thread == WRITERS + 1) {
          Random when = new Random(interrupterSeed);
          while (interrupts && running.get() > 0) {
            synchronized (writers) {
              if (!writers.isEmpty()) {
                writers.get(when.nextInt(writers.size())).interrupt();
              }
            }
            LockSupport.parkNanos(when.nextInt(200_000));
          }
        } else if (hold != null) {
          hold.awaitHeld();
          awaitQueued(writers);
          hold.releaseFailing();
          HELD_FAILURES.incrementAndGet();
        }
        return null;
      });
    }

    /** Waits (bounded) until other writers queue behind the held force. */
    private static void awaitQueued(List<Thread> writers) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      while (System.nanoTime() < deadline) {
        int waiting = 0;
        synchronized (writers) {
          for (Thread writer : writers) {
            Thread.State state = writer.getState();
            waiting += state == Thread.State.WAITING || state == Thread.State.BLOCKED ? 1 : 0;
          }
        }
        if (waiting >= WRITERS - 1) {
          return;
        }
        Thread.sleep(1);
      }
    }

    /** One writer's calls until a call fails (the latch) or its budget is spent. */
    private void write(FileTokenStore store, Random random, boolean compacts, AtomicBoolean stop,
        int budget) {
      try {
        for (int i = 0; i < budget && !stop.get(); i++) {
          step(store, random, compacts);
        }
      } catch (StoreUnavailableException | IllegalStateException expected) {
        // a fault struck: this writer is done for the round
      }
    }

    private void step(FileTokenStore store, Random random, boolean compacts) {
      int op = random.nextInt(100);
      List<SessionId> known = new ArrayList<>(tried.keySet());
      SessionId some = known.isEmpty() ? null : known.get(random.nextInt(known.size()));
      if (op < 45 || some == null) {
        SessionRecord session = session(random);
        TokenRecord token = TokenRecord.of(hashOfBytes(random), session.id());
        tried.put(session.id(), session);
        tokens.put(token.hash(), session.id());
        store.create(session, List.of(token));
        if (durability == Durability.SYNC) {
          acknowledged.add(session.id());
        }
      } else if (op < 70) {
        revokeTried.add(some);
        // False: revoked already, or not created yet by the thread that tried.
        boolean inMemory = acknowledged.contains(some);
        if (store.revokeSession(some, clock.instant()) || inMemory) {
          revoked.add(some);
        }
      } else if (op < 76) {
        String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
        revokeAllTried.add(subject);
        // Sessions acknowledged before the call are in memory, so the call must cover them.
        List<SessionId> covered = new ArrayList<>();
        for (SessionId id : known) {
          if (tried.get(id).subject().equals(subject)) {
            revokeTried.add(id);
            if (acknowledged.contains(id)) {
              covered.add(id);
            }
          }
        }
        store.revokeAll(subject, clock.instant());
        revoked.addAll(covered);
      } else if (op < 95 || !compacts) {
        store.touch(some, clock.instant().plusSeconds(random.nextInt(60)),
            clock.instant().plus(Duration.ofDays(40)));
      } else {
        store.compact();
      }
    }

    private void check(FileTokenStore store) {
      List<String> lost = new ArrayList<>();
      List<String> resurrected = new ArrayList<>();
      List<String> invented = new ArrayList<>();
      for (SessionId id : acknowledged) {
        if (store.findSession(id).isEmpty()) {
          lost.add(id.toString());
        }
      }
      for (SessionId id : revoked) {
        // A forced revoke forced every record before it, its session's create included.
        if (!store.findSession(id).map(SessionRecord::isRevoked).orElse(false)) {
          resurrected.add(id.toString());
        }
      }
      for (String subject : SUBJECTS) {
        for (SessionRecord found : store.findSessions(subject)) {
          SessionRecord created = tried.get(found.id());
          if (created == null || !created.subject().equals(found.subject())
              || (found.isRevoked() && !revokeTried.contains(found.id())
                  && !revokeAllTried.contains(subject))) {
            invented.add(found.id().toString());
          }
        }
      }
      ACKNOWLEDGED.addAndGet(acknowledged.size() + revoked.size());
      LOST.addAndGet(lost.size());
      RESURRECTED.addAndGet(resurrected.size());
      assertEquals(List.of(), lost, "acknowledged creates lost");
      assertEquals(List.of(), resurrected, "acknowledged revokes undone");
      assertEquals(List.of(), invented, "sessions never tried");
      // What an open shows it has made durable (recovery rewrites it before serving).
      for (SessionId id : tried.keySet()) {
        if (store.findSession(id).isPresent()) {
          acknowledged.add(id);
        }
      }
    }

    private SessionRecord session(Random random) {
      byte[] id = new byte[16];
      random.nextBytes(id);
      SessionId sessionId =
          SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
      String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
      Session session = new Session(sessionId, subject, "device", clock.instant(),
          clock.instant(), clock.instant().plus(Duration.ofDays(30)));
      return SessionRecord.of(session, null, null);
    }
  }
}
