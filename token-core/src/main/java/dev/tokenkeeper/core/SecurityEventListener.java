package dev.tokenkeeper.core;

/**
 * Receives the {@link SecurityEvent}s of a {@link TokenService}, registered with
 * {@link TokenService.Builder#eventListeners}: for metrics, an audit log, alerting.
 *
 * <pre>{@code
 * TokenService tokens = TokenService.builder()
 *     .store(store)
 *     .eventListeners(event -> {
 *       if (event instanceof SecurityEvent.ReuseDetected reuse) {
 *         alerts.raise("refresh token reuse, session " + reuse.sessionId());
 *       }
 *     })
 *     .build();
 * }</pre>
 *
 * <p><b>Called on a thread of the service's own</b>, one event after another in the order they
 * happened, through a bounded queue: a listener that is slow or blocks (writes a file, calls a
 * remote audit sink) delays only later events, never the service's callers. When the queue is
 * full the event is dropped for these listeners, never waited for, and counted in
 * {@link TokenService#droppedEvents()}. A listener that keeps exact counts and never blocks can
 * ask to be called on the request's thread instead, before the call returns, with
 * {@link #deliverInline()}. Either way, an implementation must be thread-safe.
 *
 * <p>A listener cannot break the service: whatever it throws (but a {@link VirtualMachineError})
 * is caught, handed to the calling thread's {@link Thread.UncaughtExceptionHandler} (which prints
 * it to standard error unless the application set another) and delivery goes on as if nothing
 * happened; the other listeners still get the event.
 *
 * <p><b>Secrecy.</b> Events hold subjects, session ids and 8-hex token fingerprints
 * ({@link TokenHash#fingerprint()}), never a token or its full hash: they are safe to log, and
 * so is the {@link Session} of {@link #onAuthenticated}.
 */
@FunctionalInterface
public interface SecurityEventListener {

  /** Takes one event. See the class documentation for what it may and must not do. */
  void onEvent(SecurityEvent event);

  /**
   * A token was accepted: {@code session} is the one {@code authenticate} returns. Called once for
   * every authenticated request, so no event object is built for it and nothing is allocated: a
   * listener counting authentications costs the request an increment. Default: nothing.
   */
  default void onAuthenticated(Session session) {}

  /**
   * Whether to be called on the request's thread, before the call returns, instead of from the
   * service's queue: for a listener that must see every event at once (counters a test reads
   * right after a call) and promises to be quick and never block, not even on a lock another
   * thread may hold long; an atomic counter or an {@code offer} to a bounded queue qualify. Read
   * once, when the service is built. Default: {@code false}.
   */
  default boolean deliverInline() {
    return false;
  }
}
