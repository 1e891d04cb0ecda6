package dev.tokenkeeper.metrics.micrometer;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.RevocationCause;
import dev.tokenkeeper.core.SecurityEvent;
import dev.tokenkeeper.core.SecurityEventListener;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Micrometer meters for a {@code TokenService}: counters fed by its {@link SecurityEvent}s, timers
 * of its store's calls, and an optional gauge of live sessions.
 *
 * <pre>{@code
 * TokenMetrics metrics = TokenMetrics.builder(registry)
 *     .liveSessions(fileStore::liveCount)     // optional gauge, counted at most every 30 s
 *     .build();
 * TokenService tokens = TokenService.builder()
 *     .store(metrics.timedWrites(fileStore))    // timers of its writes; timed(redisStore) for all
 *     .eventListeners(metrics)                  // the counters
 *     .build();
 * metrics.countDroppedEvents(tokens);          // optional: events slower listeners missed
 * }</pre>
 *
 * <table>
 *   <caption>Meters (Prometheus adds {@code _total} to counters, {@code _seconds} to timers)</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>counts</th></tr>
 *   <tr><td>{@code tokenkeeper.authentications}</td><td>counter</td><td>{@code result}:
 *       {@code authenticated}, {@code malformed}, {@code unknown}, {@code expired},
 *       {@code revoked}, {@code client_mismatch}, {@code unavailable}</td>
 *       <td>{@code authenticate} calls, each once</td></tr>
 *   <tr><td>{@code tokenkeeper.refreshes}</td><td>counter</td><td>{@code result}:
 *       {@code refreshed}, {@code retried}, {@code malformed}, {@code unknown}, {@code expired},
 *       {@code revoked}, {@code client_mismatch}, {@code reused}, {@code unavailable}</td>
 *       <td>{@code refresh} calls, each once</td></tr>
 *   <tr><td>{@code tokenkeeper.issues}</td><td>counter</td><td>{@code kind}: {@code token},
 *       {@code pair}</td><td>sessions begun</td></tr>
 *   <tr><td>{@code tokenkeeper.reuses}</td><td>counter</td><td></td>
 *       <td>refresh tokens reused after rotation (presumed stolen)</td></tr>
 *   <tr><td>{@code tokenkeeper.revocations}</td><td>counter</td><td>{@code cause}: {@code user},
 *       {@code reuse}, {@code cap}, {@code admin}; {@code scope}: {@code session}, {@code all}</td>
 *       <td>live sessions revoked</td></tr>
 *   <tr><td>{@code tokenkeeper.store.unavailable}</td><td>counter</td><td>{@code operation}:
 *       {@code issue}, {@code authenticate}, {@code refresh}, {@code revoke}, {@code sessions},
 *       {@code purge}</td><td>service calls the store could not serve</td></tr>
 *   <tr><td>{@code tokenkeeper.store.operations}</td><td>timer</td><td>{@code operation}:
 *       {@code create}, {@code find}, {@code find_session}, {@code find_sessions},
 *       {@code rotate}, {@code revoke_session}, {@code revoke_all}, {@code touch},
 *       {@code purge_expired}; {@code outcome}: {@code success}, {@code unavailable},
 *       {@code error}</td><td>store calls through {@link #timed} (or writes through
 *       {@link #timedWrites}), and how long they took</td></tr>
 *   <tr><td>{@code tokenkeeper.sessions.live}</td><td>gauge</td><td></td>
 *       <td>live sessions, if {@link Builder#liveSessions} was given: counted at the first
 *       scrape, then again at most once per {@link Builder#liveSessionsMaxAge}</td></tr>
 *   <tr><td>{@code tokenkeeper.events.dropped}</td><td>counter</td><td></td>
 *       <td>events the service's queued (not inline) listeners missed because its event queue
 *       was full, if {@link #countDroppedEvents} was called</td></tr>
 * </table>
 *
 * <p>It is an {@linkplain SecurityEventListener#deliverInline inline} listener: it counts on the
 * request's thread, before the call returns, so the counters are exact the moment a call is done.
 *
 * <p>Every counter is registered, at zero, when this is built, so a query over a rate (an alert on
 * reuse, say) sees a series before the first event. Recording is an increment of a counter
 * resolved in advance: no lookup or allocation per event, and an authenticated request, which
 * has no event object, costs one increment.
 *
 * <p>Thread-safe; one instance serves a service's listener and its store. Registering two on the
 * same registry shares their meters.
 */
public final class TokenMetrics implements SecurityEventListener {

  private static final int REASONS = AuthResult.Reason.values().length;
  private static final int CAUSES = RevocationCause.values().length;

  private final MeterRegistry registry;
  private final Counter authenticated;
  private final Counter[] authenticationsRefused = new Counter[REASONS];
  private final Counter authenticationsUnavailable;
  private final Counter refreshed;
  private final Counter retried;
  private final Counter[] refreshesRefused = new Counter[REASONS];
  private final Counter refreshesUnavailable;
  private final Counter issuedTokens;
  private final Counter issuedPairs;
  private final Counter reuses;
  private final Counter[] sessionRevocations = new Counter[CAUSES];
  private final Counter[] subjectRevocations = new Counter[CAUSES];
  private final Counter[] unavailable = new Counter[SecurityEvent.Operation.values().length];

  private TokenMetrics(Builder builder) {
    this.registry = builder.registry;
    String authentications = "tokenkeeper.authentications";
    String authenticationsHelp = "authenticate calls by result";
    authenticated = counter(authentications, authenticationsHelp, "result", "authenticated");
    String refreshes = "tokenkeeper.refreshes";
    String refreshesHelp = "refresh calls by result";
    refreshed = counter(refreshes, refreshesHelp, "result", "refreshed");
    retried = counter(refreshes, refreshesHelp, "result", "retried");
    for (AuthResult.Reason reason : AuthResult.Reason.values()) {
      if (reason != AuthResult.Reason.REUSED) {
        authenticationsRefused[reason.ordinal()] =
            counter(authentications, authenticationsHelp, "result", tag(reason));
      }
      refreshesRefused[reason.ordinal()] =
          counter(refreshes, refreshesHelp, "result", tag(reason));
    }
    authenticationsUnavailable =
        counter(authentications, authenticationsHelp, "result", "unavailable");
    refreshesUnavailable = counter(refreshes, refreshesHelp, "result", "unavailable");
    String issues = "tokenkeeper.issues";
    String issuesHelp = "sessions begun, by a token issued alone or a pair";
    issuedTokens = counter(issues, issuesHelp, "kind", "token");
    issuedPairs = counter(issues, issuesHelp, "kind", "pair");
    reuses = Counter.builder("tokenkeeper.reuses")
        .description("refresh tokens presented again after rotation: presumed stolen")
        .register(registry);
    for (RevocationCause cause : RevocationCause.values()) {
      sessionRevocations[cause.ordinal()] = revocations(cause, "session");
      subjectRevocations[cause.ordinal()] = revocations(cause, "all");
    }
    for (SecurityEvent.Operation operation : SecurityEvent.Operation.values()) {
      unavailable[operation.ordinal()] = counter("tokenkeeper.store.unavailable",
          "service calls the token store could not serve", "operation", tag(operation));
    }
    if (builder.liveSessions != null) {
      Duration maxAge = builder.liveSessionsMaxAge == null
          ? Builder.DEFAULT_LIVE_SESSIONS_MAX_AGE : builder.liveSessionsMaxAge;
      CachedCount live =
          new CachedCount(builder.liveSessions, registry.config().clock(), maxAge.toNanos());
      // A supplier, not (object, function): the gauge is all that holds the cache.
      Gauge.builder("tokenkeeper.sessions.live", live::value)
          .description("sessions neither revoked nor expired, as last counted")
          .register(registry);
    }
  }

  /**
   * A builder registering on {@code registry}.
   *
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * {@code store}, its every call timed into {@code tokenkeeper.store.operations} by operation and
   * outcome; {@code close} passes through. A call's time is taken by the registry's clock around
   * the store's own work, so it includes waiting for a disk, a lock or the network. For a store
   * across a network (Redis, PostgreSQL), whose every lookup is a round trip worth watching.
   * Keeps the store's thread-safety and contract.
   *
   * @throws NullPointerException if {@code store} is {@code null}
   */
  public TokenStore timed(TokenStore store) {
    return new TimedTokenStore(Objects.requireNonNull(store, "store"), registry, false);
  }

  /**
   * {@code store}, its durable writes timed as {@link #timed} times them ({@code create},
   * {@code rotate}, {@code revoke_session}, {@code revoke_all}, {@code purge_expired}); its reads
   * and the lazy {@code touch} pass through untimed. For a store answering lookups from memory
   * (the file store, the in-memory one, a near cache), where a lookup takes a few hundred
   * nanoseconds and a timer around it would cost authentication about a tenth of its time.
   *
   * @throws NullPointerException if {@code store} is {@code null}
   */
  public TokenStore timedWrites(TokenStore store) {
    return new TimedTokenStore(Objects.requireNonNull(store, "store"), registry, true);
  }

  /** Yes: counting is an increment, and the counters must be exact when a call returns. */
  @Override
  public boolean deliverInline() {
    return true;
  }

  /**
   * Registers {@code tokenkeeper.events.dropped}, reading {@code service}'s
   * {@link TokenService#droppedEvents()}: a slow audit listener shows as this counter rising.
   * Held weakly, as Micrometer's function counters are.
   */
  public void countDroppedEvents(TokenService service) {
    FunctionCounter.builder("tokenkeeper.events.dropped", Objects.requireNonNull(service, "service"),
            TokenService::droppedEvents)
        .description("security events queued listeners missed because the event queue was full")
        .register(registry);
  }

  /** Counts an accepted token: one increment. Never throws, never blocks. */
  @Override
  public void onAuthenticated(Session session) {
    authenticated.increment();
  }

  /** Counts {@code event}. Never throws, never blocks. */
  @Override
  public void onEvent(SecurityEvent event) {
    // Most frequent first: refusals, then refreshes.
    if (event instanceof SecurityEvent.Refused refused) {
      refusal(refused.operation(), refused.reason());
    } else if (event instanceof SecurityEvent.Refreshed refresh) {
      (refresh.retry() ? retried : refreshed).increment();
    } else if (event instanceof SecurityEvent.Issued issued) {
      (issued.refreshFingerprint() == null ? issuedTokens : issuedPairs).increment();
    } else if (event instanceof SecurityEvent.ClientMismatch mismatch) {
      refusal(mismatch.operation(), AuthResult.Reason.CLIENT_MISMATCH);
    } else if (event instanceof SecurityEvent.ReuseDetected) {
      reuses.increment();
      refreshesRefused[AuthResult.Reason.REUSED.ordinal()].increment();
    } else if (event instanceof SecurityEvent.Revoked revoked) {
      sessionRevocations[revoked.cause().ordinal()].increment();
    } else if (event instanceof SecurityEvent.RevokedAll revokedAll) {
      subjectRevocations[revokedAll.cause().ordinal()].increment(revokedAll.sessions());
    } else if (event instanceof SecurityEvent.StoreUnavailable outage) {
      unavailable[outage.operation().ordinal()].increment();
      if (outage.operation() == SecurityEvent.Operation.AUTHENTICATE) {
        authenticationsUnavailable.increment();
      } else if (outage.operation() == SecurityEvent.Operation.REFRESH) {
        refreshesUnavailable.increment();
      }
    }
  }

  private void refusal(SecurityEvent.Operation operation, AuthResult.Reason reason) {
    Counter[] counters = operation == SecurityEvent.Operation.AUTHENTICATE
        ? authenticationsRefused
        : operation == SecurityEvent.Operation.REFRESH ? refreshesRefused : null;
    if (counters != null && counters[reason.ordinal()] != null) {
      counters[reason.ordinal()].increment();
    }
  }

  private Counter revocations(RevocationCause cause, String scope) {
    return Counter.builder("tokenkeeper.revocations")
        .description("live sessions revoked, by cause and by one session or all of a subject")
        .tag("cause", tag(cause))
        .tag("scope", scope)
        .register(registry);
  }

  private Counter counter(String name, String description, String key, String value) {
    return Counter.builder(name).description(description).tag(key, value).register(registry);
  }

  /** A constant's name as a tag value: {@code CLIENT_MISMATCH} becomes {@code client_mismatch}. */
  static String tag(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Builds {@link TokenMetrics}; {@link #build()} registers the meters. Each option may be set
   * once. Not thread-safe.
   */
  public static final class Builder {

    /** Default of {@link #liveSessionsMaxAge}. */
    static final Duration DEFAULT_LIVE_SESSIONS_MAX_AGE = Duration.ofSeconds(30);

    private final MeterRegistry registry;
    private LongSupplier liveSessions;
    private Duration liveSessionsMaxAge;

    private Builder(MeterRegistry registry) {
      this.registry = registry;
    }

    /**
     * Adds the gauge {@code tokenkeeper.sessions.live}, from {@code count}: taken at the first
     * scrape, then shown until it is {@link #liveSessionsMaxAge} old and taken again at the next
     * scrape, so a count that walks every session (the file store's {@code liveCount}) runs
     * at most once per that age however often it is scraped. A count that throws shows as no
     * value ({@code NaN}) until it is taken again. Default: no gauge.
     *
     * @throws IllegalStateException if set twice
     */
    public Builder liveSessions(LongSupplier count) {
      if (liveSessions != null) {
        throw new IllegalStateException("liveSessions was already set");
      }
      this.liveSessions = Objects.requireNonNull(count, "liveSessions");
      return this;
    }

    /**
     * How long a live-session count is shown before the next scrape takes it again, by the
     * registry's clock. {@link Duration#ZERO} counts at every scrape, for a count that is cheap
     * whatever the number of sessions. Default: 30 seconds, about a scrape interval, so the
     * gauge is at most that stale and a store of a million sessions is walked at most twice a
     * minute.
     *
     * @throws IllegalArgumentException if {@code maxAge} is negative
     * @throws IllegalStateException if set twice
     */
    public Builder liveSessionsMaxAge(Duration maxAge) {
      if (liveSessionsMaxAge != null) {
        throw new IllegalStateException("liveSessionsMaxAge was already set");
      }
      Objects.requireNonNull(maxAge, "liveSessionsMaxAge");
      if (maxAge.isNegative()) {
        throw new IllegalArgumentException("liveSessionsMaxAge must not be negative: " + maxAge);
      }
      this.liveSessionsMaxAge = maxAge;
      return this;
    }

    /**
     * Registers the meters and returns the listener that feeds them.
     *
     * @throws IllegalStateException if {@link #liveSessionsMaxAge} was set without
     *     {@link #liveSessions}
     */
    public TokenMetrics build() {
      if (liveSessionsMaxAge != null && liveSessions == null) {
        throw new IllegalStateException("liveSessionsMaxAge needs liveSessions");
      }
      return new TokenMetrics(this);
    }
  }
}
