package dev.tokenkeeper.core;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands events to the listeners that may block, on one daemon thread of its own, so a slow or
 * stuck listener can never hold up the service's caller.
 *
 * <p>{@link #offer} never waits: when the bounded queue is full the event is dropped and counted
 * ({@link #dropped}), because a caller stalled behind an audit sink is worse than a gap in it.
 * The thread starts with the first event and ends after {@link #IDLE_SECONDS} without one, so an
 * idle or discarded service holds no thread; one thread at a time delivers, so each listener
 * hears events in the order they were queued. A listener's failure goes to that thread's
 * uncaught-exception handler and delivery goes on; a {@link VirtualMachineError} ends the thread,
 * and the next event starts another.
 *
 * <p>The queue holds {@link SecurityEvent}s and, for accepted tokens, the {@link Session} the
 * caller got anyway, so queuing an authentication allocates nothing.
 */
final class EventQueue {

  private static final long IDLE_SECONDS = 5;

  private final SecurityEventListener[] listeners;
  private final ArrayBlockingQueue<Object> queue;
  private final AtomicLong dropped = new AtomicLong();
  /** Whether a dispatcher thread owns the queue; set by whoever starts one. */
  private final AtomicBoolean running = new AtomicBoolean();

  EventQueue(SecurityEventListener[] listeners, int capacity) {
    this.listeners = listeners;
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  /** Queues a {@link SecurityEvent} or an accepted {@link Session}, or drops it if full. */
  void offer(Object item) {
    if (!queue.offer(item)) {
      dropped.incrementAndGet();
      return;
    }
    if (!running.get() && running.compareAndSet(false, true)) {
      start();
    }
  }

  /** Events dropped because the queue was full, since the service was built. */
  long dropped() {
    return dropped.get();
  }

  private void start() {
    Thread thread = new Thread(this::drain, "tokenkeeper-events");
    thread.setDaemon(true);
    try {
      thread.start();
    } catch (Throwable t) {
      running.set(false); // the next offer tries again
      throw t;
    }
  }

  private void drain() {
    try {
      while (true) {
        Object item;
        try {
          item = queue.poll(IDLE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          continue; // nobody should interrupt this thread; its events must still go out
        }
        if (item != null) {
          deliver(item);
        } else if (!stillNeeded()) {
          return;
        }
      }
    } catch (Throwable machineFailure) { // a VirtualMachineError: deliver() guards the rest
      running.set(false); // so the next offer starts a new thread for what is left
      throw machineFailure;
    }
  }

  /**
   * Gives up the queue after an idle wait, unless an event arrived meanwhile and no new thread
   * took over: an offer that saw {@code running} still set relies on this thread to deliver it.
   */
  private boolean stillNeeded() {
    running.set(false);
    return !queue.isEmpty() && running.compareAndSet(false, true);
  }

  private void deliver(Object item) {
    for (SecurityEventListener listener : listeners) {
      try {
        if (item instanceof SecurityEvent event) {
          listener.onEvent(event);
        } else {
          listener.onAuthenticated((Session) item);
        }
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        Events.report(t); // to this thread's handler; delivery goes on
      }
    }
  }
}
