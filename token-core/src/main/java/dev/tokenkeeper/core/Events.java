package dev.tokenkeeper.core;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Builds {@link SecurityEvent}s and hands them to a service's listeners, each call guarded.
 *
 * <p>Listeners that {@linkplain SecurityEventListener#deliverInline promise not to block} are
 * called on the caller's thread; the others through an {@link EventQueue}, which never makes the
 * caller wait.
 *
 * <p>With no listener every method returns at its first line: no event, fingerprint or instant is
 * made, so a service without listeners pays one predictable branch per event. An accepted token,
 * one per authenticated request, is passed as the session already made for the caller, with no
 * event object: the request path allocates nothing more with listeners than without. A
 * listener's failure goes to the uncaught-exception handler of the thread that called it (the
 * caller's or the queue's), never to the service's caller: an
 * audit hook that throws must not turn a valid login into an error. A {@link VirtualMachineError}
 * (out of memory, a stack overflow) is the machine's failure, not the listener's, and propagates.
 *
 * <p>Thread-safe as its listeners are; the queue is its only changing state.
 */
final class Events {

  private final List<SecurityEventListener> all;
  /** Called on the caller's thread. */
  private final SecurityEventListener[] inline;
  /** For the others; {@code null} if there are none. */
  private final EventQueue queued;
  private final int queueCapacity;
  private final Clock clock;
  private final boolean on;

  Events(List<SecurityEventListener> listeners, int queueCapacity, Clock clock) {
    this.all = List.copyOf(listeners);
    this.inline = listeners.stream().filter(SecurityEventListener::deliverInline)
        .toArray(SecurityEventListener[]::new);
    SecurityEventListener[] others = listeners.stream().filter(l -> !l.deliverInline())
        .toArray(SecurityEventListener[]::new);
    this.queued = others.length == 0 ? null : new EventQueue(others, queueCapacity);
    this.queueCapacity = queueCapacity;
    this.clock = clock;
    this.on = !listeners.isEmpty();
  }

  /** The listeners, for {@link TokenService#toBuilder()}. */
  List<SecurityEventListener> listeners() {
    return all;
  }

  /** The queue's capacity, for {@link TokenService#toBuilder()}. */
  int queueCapacity() {
    return queueCapacity;
  }

  /** Events the queue dropped because it was full. */
  long dropped() {
    return queued == null ? 0 : queued.dropped();
  }

  void issued(Instant at, Session session, TokenHash token, TokenHash refresh) {
    if (on) {
      emit(new SecurityEvent.Issued(at, session.subject(), session.id(), token.fingerprint(),
          refresh == null ? null : refresh.fingerprint()));
    }
  }

  /** The hot path: no event object, only the session the caller gets anyway. */
  void authenticated(Session session) {
    if (on) {
      // This call site sees only the inline listeners' classes, so the JIT can inline them;
      // sharing one with the queue's listeners made metrics cost 1.5x (BENCHMARKS.md section 8).
      for (SecurityEventListener listener : inline) {
        try {
          listener.onAuthenticated(session);
        } catch (VirtualMachineError e) {
          throw e;
        } catch (Throwable t) {
          report(t);
        }
      }
      if (queued != null) {
        queued.offer(session);
      }
    }
  }

  void refreshed(Instant at, SessionRecord session, TokenHash presented, TokenHash newRefresh,
      boolean retry) {
    if (on) {
      emit(new SecurityEvent.Refreshed(at, session.subject(), session.id(),
          presented.fingerprint(), newRefresh.fingerprint(), retry));
    }
  }

  /** A retry within the grace window, answered with the pair {@code again}. */
  void retried(Instant at, SessionRecord session, TokenHash presented, IssuedPair again) {
    if (on) {
      refreshed(at, session, presented, TokenHash.sha256(again.refreshPlaintext()), true);
    }
  }

  /** A refusal; {@code token} is {@code null} for a malformed one, {@code session} if unknown. */
  void refused(SecurityEvent.Operation operation, AuthResult.Reason reason, TokenHash token,
      SessionRecord session) {
    if (on) {
      emit(new SecurityEvent.Refused(clock.instant(), operation, reason,
          token == null ? null : token.fingerprint(),
          session == null ? null : session.subject(), session == null ? null : session.id()));
    }
  }

  void clientMismatch(SecurityEvent.Operation operation, SessionRecord session, TokenHash token) {
    if (on) {
      emit(new SecurityEvent.ClientMismatch(clock.instant(), operation, session.subject(),
          session.id(), token.fingerprint()));
    }
  }

  void reuseDetected(Instant at, SessionRecord session, TokenHash token) {
    if (on) {
      emit(new SecurityEvent.ReuseDetected(at, session.subject(), session.id(),
          token.fingerprint()));
    }
  }

  void revoked(Instant at, String subject, SessionId id, RevocationCause cause) {
    if (on) {
      emit(new SecurityEvent.Revoked(at, subject, id, cause));
    }
  }

  void revokedAll(Instant at, String subject, int sessions, RevocationCause cause) {
    if (on) {
      emit(new SecurityEvent.RevokedAll(at, subject, sessions, cause));
    }
  }

  void storeUnavailable(SecurityEvent.Operation operation) {
    if (on) {
      emit(new SecurityEvent.StoreUnavailable(clock.instant(), operation));
    }
  }

  private void emit(SecurityEvent event) {
    for (SecurityEventListener listener : inline) { // a call site of their own: see authenticated()
      try {
        listener.onEvent(event);
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        report(t);
      }
    }
    if (queued != null) {
      queued.offer(event);
    }
  }

  /** As an uncaught exception of this thread, without letting the handler's own failure out. */
  static void report(Throwable failure) {
    Thread thread = Thread.currentThread();
    try {
      thread.getUncaughtExceptionHandler().uncaughtException(thread, failure);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable ignored) {
      // Nowhere left to report it; the service's caller must still get its answer.
    }
  }
}
