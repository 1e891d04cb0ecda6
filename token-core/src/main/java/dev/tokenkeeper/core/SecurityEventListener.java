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
 * <p><b>Called on the request's thread, before the call returns, so it must be quick and must not
 * block</b>: count, or put the event on a bounded queue that another thread drains (as the demo's
 * audit log does); never write a file, call a remote service or wait for a lock there. The service
 * calls listeners one after another for each event, from many threads at once, so an
 * implementation must be thread-safe.
 *
 * <p>A listener cannot break the service: whatever it throws (but a {@link VirtualMachineError})
 * is caught, handed to the calling thread's {@link Thread.UncaughtExceptionHandler} (which prints
 * it to standard error unless the application set another) and the call goes on as if nothing
 * happened; the other listeners still get the event.
 *
 * <p><b>Secrecy.</b> Events hold subjects, session ids and 8-hex token fingerprints
 * ({@link TokenHash#fingerprint()}), never a token or its full hash: they are safe to log.
 */
@FunctionalInterface
public interface SecurityEventListener {

  /** Takes one event. See the class documentation for what it may and must not do. */
  void onEvent(SecurityEvent event);
}
