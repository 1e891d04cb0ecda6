package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listener that blocks or throws never stalls or changes a call: listeners are told on the
 * service's own thread, through a bounded queue that drops (and counts) rather than waits.
 */
class SlowListenerTest {

  private static final Duration BOUND = Duration.ofSeconds(20);

  /** Released after each test, so no dispatcher stays parked in a listener. */
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(1);
  private final List<Object> heard = new CopyOnWriteArrayList<>();

  @AfterEach
  void unblock() {
    release.countDown();
  }

  /** Records what it hears, but first waits, on its first call, until the test releases it. */
  private final SecurityEventListener blocked = new SecurityEventListener() {
    @Override
    public void onEvent(SecurityEvent event) {
      await();
      heard.add(event);
    }

    @Override
    public void onAuthenticated(Session session) {
      await();
      heard.add(new SecurityEventsTest.Accepted(session));
    }

    private void await() {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  };

  @Test
  void blockedListener_neverStallsAnyCall_fromManyThreads() throws Exception {
    TokenService tokens = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(blocked).build();
    int threads = 4;
    int rounds = 50;
    assertTimeoutPreemptively(BOUND, () -> Concurrently.run(threads, t -> {
      for (int i = 0; i < rounds; i++) {
        IssuedToken token = tokens.issue("user" + t);
        assertTrue(tokens.authenticate(token.plaintext()).isAuthenticated());
        assertFalse(tokens.authenticate("tk_nope").isAuthenticated());
        IssuedPair pair = tokens.issuePair("user" + t, null, Client.UNKNOWN);
        assertInstanceOf(RefreshResult.Refreshed.class,
            tokens.refresh(pair.refreshPlaintext(), Client.UNKNOWN));
        assertTrue(tokens.revoke(token.plaintext()));
      }
      return null;
    }));
    assertTrue(entered.await(BOUND.toSeconds(), TimeUnit.SECONDS), "listener never called");
    release.countDown();
    int calls = threads * rounds * 6;
    awaitCondition(() -> heard.size() + tokens.droppedEvents() == calls);
    assertEquals(calls, heard.size() + tokens.droppedEvents());
  }

  @Test
  void blockedListener_hearsEveryEventInOrder_onceItUnblocks() throws Exception {
    TokenService tokens = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(blocked).build();
    List<Class<?>> expected = new ArrayList<>();
    assertTimeoutPreemptively(BOUND, () -> {
      for (int i = 0; i < 20; i++) {
        IssuedToken token = tokens.issue("alice");
        tokens.authenticate(token.plaintext());
        tokens.authenticate("tk_nope");
        tokens.revoke(token.plaintext());
        expected.addAll(List.of(SecurityEvent.Issued.class, SecurityEventsTest.Accepted.class,
            SecurityEvent.Refused.class, SecurityEvent.Revoked.class));
      }
    });
    release.countDown();
    awaitCondition(() -> heard.size() == expected.size());
    assertEquals(expected, heard.stream().map(Object::getClass).toList());
    assertEquals(0, tokens.droppedEvents());
  }

  @Test
  void fullQueue_dropsAndCountsEachEvent_neverWaits() throws Exception {
    TokenService tokens = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(blocked).eventQueueCapacity(4).build();
    assertTimeoutPreemptively(BOUND, () -> tokens.issue("alice"));
    assertTrue(entered.await(BOUND.toSeconds(), TimeUnit.SECONDS), "listener never called");
    // The dispatcher holds the first event inside the listener; four more fill the queue.
    assertTimeoutPreemptively(BOUND, () -> {
      for (int i = 0; i < 10; i++) {
        tokens.authenticate("tk_nope");
      }
    });
    assertEquals(6, tokens.droppedEvents());
    release.countDown();
    awaitCondition(() -> heard.size() == 5);
    // The next event comes right after those five: the dropped ones are gone, not late.
    tokens.issue("bob");
    awaitCondition(() -> heard.size() == 6);
    assertInstanceOf(SecurityEvent.Issued.class, heard.get(0));
    assertInstanceOf(SecurityEvent.Issued.class, heard.get(5));
    assertEquals(6, tokens.droppedEvents());
  }

  @Test
  void throwingQueuedListener_changesNoResult_andTheDispatcherSurvives() throws Exception {
    SecurityEventListener throwing = event -> {
      throw new AssertionError("listener assertion");
    };
    TokenService tokens = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(throwing, SecurityEventsTest.recorder(heard, false)).build();
    AtomicInteger reported = new AtomicInteger();
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> reported.incrementAndGet());
    try {
      for (int i = 0; i < 5; i++) {
        IssuedToken token = tokens.issue("alice");
        assertTrue(tokens.authenticate(token.plaintext()).isAuthenticated());
        assertTrue(tokens.revoke(token.plaintext()));
      }
      awaitCondition(() -> heard.size() == 15);
      // onAuthenticated is not overridden, so only issue and revoke throw.
      awaitCondition(() -> reported.get() == 10);
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(previous);
    }
    assertEquals(15, heard.size());
  }

  @Test
  void builder_eventQueueCapacity_validated_andKeptByToBuilder() {
    assertThrows(IllegalArgumentException.class,
        () -> TokenService.builder().eventQueueCapacity(0));
    TokenService tokens = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(blocked).eventQueueCapacity(1).build();
    TokenService copy = tokens.toBuilder().build();
    assertTimeoutPreemptively(BOUND, () -> {
      for (int i = 0; i < 4; i++) {
        copy.issue("alice");
      }
    });
    // One in the listener (or queued), one queued, the rest dropped: at most two kept.
    assertTrue(copy.droppedEvents() >= 2, "dropped " + copy.droppedEvents());
  }

  /** Polls {@code condition} until it holds, for at most {@link #BOUND}. */
  private static void awaitCondition(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met within " + BOUND);
      Thread.sleep(5);
    }
  }
}
