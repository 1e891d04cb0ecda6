package dev.tokenkeeper.core;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Builds {@link SecurityEvent}s and hands them to a service's listeners, each call guarded.
 *
 * <p>With no listener every method returns at its first line: no event, fingerprint or instant is
 * made, so a service without listeners pays one predictable branch per event. A listener's failure
 * goes to the calling thread's uncaught-exception handler, never to the service's caller: an
 * audit hook that throws must not turn a valid login into an error. A {@link VirtualMachineError}
 * (out of memory, a stack overflow) is the machine's failure, not the listener's, and propagates.
 *
 * <p>Immutable; thread-safe as its listeners are.
 */
final class Events {

  private final SecurityEventListener[] listeners;
  private final Clock clock;
  private final boolean on;

  Events(List<SecurityEventListener> listeners, Clock clock) {
    this.listeners = listeners.toArray(SecurityEventListener[]::new);
    this.clock = clock;
    this.on = this.listeners.length > 0;
  }

  /** The listeners, for {@link TokenService#toBuilder()}. */
  List<SecurityEventListener> listeners() {
    return List.of(listeners);
  }

  void issued(Instant at, Session session, TokenHash token, TokenHash refresh) {
    if (on) {
      emit(new SecurityEvent.Issued(at, session.subject(), session.id(), token.fingerprint(),
          refresh == null ? null : refresh.fingerprint()));
    }
  }

  void authenticated(Instant at, Session session, TokenHash token) {
    if (on) {
      emit(new SecurityEvent.Authenticated(at, session.subject(), session.id(),
          token.fingerprint()));
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
    for (SecurityEventListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        report(t);
      }
    }
  }

  /** As an uncaught exception of this thread, without letting the handler's own failure out. */
  private static void report(Throwable failure) {
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
