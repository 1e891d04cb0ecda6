package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * A rotation or a logout writes its session's pending use before its own record
 * ({@link TouchBuffer#settledFor}), also when a flush that starts meanwhile takes that use first:
 * the flush can hand it in only after the change, under the change lock the change holds. Replay
 * would otherwise refuse a rotation of a session only that use kept alive.
 */
class TouchBufferOrderTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final long WAIT_SECONDS = 10;

  @Test
  void aFlushTakingTheUseAfterARotationLooked_stillHasTheUseWrittenBeforeTheRotation()
      throws Exception {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId id = SessionId.of(1, 1);
    index.create(SessionRecord.of(new Session(id, "alice", null, T0, T0, T0.plusSeconds(10)),
        null, null), List.of(TokenRecord.of(TokenHash.sha256Words(1, 2, 3, 4), id)));
    // Kept alive past T0 + 10 s by a use not written yet.
    assertTrue(index.touchIfLive(id, T0.plusSeconds(5), T0.plusSeconds(20)));

    CountDownLatch atForget = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicBoolean paused = new AtomicBoolean();
    LiveIndex live = (LiveIndex) Proxy.newProxyInstance(LiveIndex.class.getClassLoader(),
        new Class<?>[] {LiveIndex.class}, (proxy, method, args) -> {
          if (method.getName().equals("forgetUnwritten") && paused.compareAndSet(false, true)) {
            // The rotation has looked whether a flush is in flight (none) and now forgets.
            atForget.countDown();
            assertTrue(proceed.await(WAIT_SECONDS, TimeUnit.SECONDS));
          }
          try {
            return method.invoke(index, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    ReentrantLock changeLock = new ReentrantLock();
    TouchBuffer touches = new TouchBuffer(live, changeLock);
    List<String> log = Collections.synchronizedList(new ArrayList<>());

    Thread rotation = new Thread(() -> {
      changeLock.lock();
      try {
        touches.settledFor(List.of(id), uses -> {
          uses.forEach(frame -> log.add("use"));
          log.add("rotation");
          return null;
        });
      } finally {
        changeLock.unlock();
      }
    });
    rotation.start();
    assertTrue(atForget.await(WAIT_SECONDS, TimeUnit.SECONDS));
    Thread flush = new Thread(() -> touches.flush(frames -> {
      frames.forEach(frame -> log.add("use"));
      return 1;
    }));
    flush.start();
    // The flush takes the use, then waits for the change lock the rotation holds.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!changeLock.hasQueuedThread(flush) && flush.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertTrue(changeLock.hasQueuedThread(flush), "the flush did not take the use: " + log);
    proceed.countDown();
    rotation.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    flush.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertFalse(rotation.isAlive() || flush.isAlive(), "stuck");

    int use = log.indexOf("use");
    assertTrue(use >= 0 && use < log.indexOf("rotation"),
        "the session's pending use was written after the rotation: " + log);
  }
}
