package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers, touches, purges, a moving clock, explicit and background compactions (each serving
 * its snapshot) race for three seconds, while a checker asserts that nothing a lookup saw moves
 * backward across the swaps: a use, an expiry, a logout, a refresh; and a forgotten session never
 * comes back.
 */
class ServedSnapshotClockRaceTest {

  @TempDir
  Path dir;

  @Test
  void nothingSeenMovesBackwardAcrossSwaps() throws Exception {
    MutableClock clock = new MutableClock(T0);
    List<Issued> singles = Collections.synchronizedList(new ArrayList<>());
    Set<SessionId> revoked = ConcurrentHashMap.newKeySet();
    List<Rotation> rotated = Collections.synchronizedList(new ArrayList<>());
    Map<SessionId, Instant> seenUse = new ConcurrentHashMap<>();
    Map<SessionId, Instant> seenExpiry = new ConcurrentHashMap<>();
    Set<SessionId> gone = ConcurrentHashMap.newKeySet();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicBoolean running = new AtomicBoolean(true);
    long swaps;
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock)
        .compactionThreshold(20_000).touchPersistInterval(Duration.ofMillis(3)).build()) {
      List<Thread> threads = new ArrayList<>();
      threads.add(new Thread(() -> { // writer
        Random random = new Random(TestSeed.of("ServedSnapshotClockRaceTest"));
        try {
          for (int i = 0; running.get(); i++) {
            Instant now = clock.instant();
            int c = random.nextInt(10);
            if (c < 5) {
              singles.add(Issued.create(store, random, "u" + random.nextInt(4), null, now,
                  now.plusSeconds(20 + random.nextInt(60))));
            } else if (c < 7 && !singles.isEmpty()) {
              Issued is = singles.get(random.nextInt(singles.size()));
              if (is.revoke(store, now)) {
                revoked.add(is.id());
              }
              if (store.findSession(is.id()).isPresent()) {
                assertTrue(store.findSession(is.id()).get().isRevoked(), "revoke final");
              }
            } else if (c < 8) {
              SessionRecord pair = TokenStoreContract.createPair(store, "p");
              Rotation rot = TokenStoreContract.rotation(pair, T0);
              if (store.rotate(rot)) {
                rotated.add(rot);
              }
            } else if (c < 9) {
              int n = store.revokeAll("u" + random.nextInt(4), now);
              assertTrue(n >= 0);
            } else {
              store.purgeExpired(now);
            }
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.add(new Thread(() -> { // toucher
        Random random = new Random(3);
        try {
          while (running.get()) {
            if (singles.isEmpty()) {
              continue;
            }
            Issued is = singles.get(random.nextInt(singles.size()));
            Instant now = clock.instant();
            store.touch(is.id(), now, now.plusSeconds(60));
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.add(new Thread(() -> { // clock and compactions
        try {
          while (running.get()) {
            clock.advance(Duration.ofSeconds(3));
            store.compact();
            Thread.sleep(5);
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.add(new Thread(() -> { // checker
        try {
          while (running.get()) {
            List<Issued> now;
            synchronized (singles) {
              now = new ArrayList<>(singles);
            }
            for (Issued is : now) {
              boolean wasRevoked = revoked.contains(is.id());
              boolean wasGone = gone.contains(is.id());
              Optional<SessionRecord> s = store.findSession(is.id());
              if (s.isEmpty()) {
                gone.add(is.id());
                continue;
              }
              assertFalse(wasGone, "a forgotten session came back: " + is.id());
              SessionRecord r = s.get();
              if (wasRevoked) {
                assertTrue(r.isRevoked(), "acknowledged logout undone: " + is.id());
              }
              Instant u = r.session().lastUsedAt();
              Instant prev = seenUse.merge(is.id(), u, (a, b) -> a.isAfter(b) ? a : b);
              assertFalse(u.isBefore(prev), "lastUsedAt moved backward " + prev + " -> " + u);
              Instant e = r.expiresAt();
              Instant prevE = seenExpiry.merge(is.id(), e, (a, b) -> a.isAfter(b) ? a : b);
              assertFalse(e.isBefore(prevE), "expiresAt moved backward " + prevE + " -> " + e);
            }
            List<Rotation> rots;
            synchronized (rotated) {
              rots = new ArrayList<>(rotated);
            }
            for (Rotation rot : rots) {
              Optional<TokenEntry> old = store.find(rot.rotated());
              if (old.isPresent()) {
                assertTrue(old.get().token().isRotated(), "a refresh undone");
              }
            }
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.forEach(Thread::start);
      long end = System.nanoTime() + 3_000_000_000L;
      while (System.nanoTime() < end && failed.get() == null) {
        Thread.sleep(50);
      }
      running.set(false);
      for (Thread t : threads) {
        t.join(60_000);
      }
      swaps = store.served();
      if (failed.get() != null) {
        throw new AssertionError("after " + swaps + " swaps", failed.get());
      }
    }
    assertTrue(swaps > 3);
  }
}
