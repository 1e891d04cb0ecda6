package dev.tokenkeeper.metrics.micrometer;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TokenStore} timing every call of another into {@code tokenkeeper.store.operations},
 * tagged with the operation and its outcome: {@code success}, {@code unavailable} (a
 * {@link StoreUnavailableException}) or {@code error} (any other exception, which is a bug or a
 * misuse). Timers are resolved once, so a call costs two clock reads and one record.
 *
 * <p>Thread-safe as its store is; changes nothing the store does or answers.
 */
final class TimedTokenStore implements TokenStore {

  /** The store's operations, as tag values. */
  enum Operation {
    CREATE, FIND, FIND_SESSION, FIND_SESSIONS, ROTATE, REVOKE_SESSION, REVOKE_ALL, TOUCH,
    PURGE_EXPIRED
  }

  private static final int SUCCESS = 0;
  private static final int UNAVAILABLE = 1;
  private static final int ERROR = 2;
  private static final String[] OUTCOMES = {"success", "unavailable", "error"};

  private final TokenStore delegate;
  private final Clock clock;
  /** By operation ordinal, then outcome. */
  private final Timer[][] timers;

  TimedTokenStore(TokenStore delegate, MeterRegistry registry) {
    this.delegate = delegate;
    this.clock = registry.config().clock();
    Operation[] operations = Operation.values();
    this.timers = new Timer[operations.length][OUTCOMES.length];
    for (Operation operation : operations) {
      for (int outcome = 0; outcome < OUTCOMES.length; outcome++) {
        timers[operation.ordinal()][outcome] = Timer.builder("tokenkeeper.store.operations")
            .description("token store calls, by operation and outcome")
            .tag("operation", TokenMetrics.tag(operation))
            .tag("outcome", OUTCOMES[outcome])
            .register(registry);
      }
    }
  }

  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    long start = clock.monotonicTime();
    try {
      delegate.create(session, tokens);
    } catch (RuntimeException e) {
      throw failed(Operation.CREATE, start, e);
    }
    succeeded(Operation.CREATE, start);
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    long start = clock.monotonicTime();
    Optional<TokenEntry> found;
    try {
      found = delegate.find(hash);
    } catch (RuntimeException e) {
      throw failed(Operation.FIND, start, e);
    }
    succeeded(Operation.FIND, start);
    return found;
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    long start = clock.monotonicTime();
    Optional<SessionRecord> found;
    try {
      found = delegate.findSession(id);
    } catch (RuntimeException e) {
      throw failed(Operation.FIND_SESSION, start, e);
    }
    succeeded(Operation.FIND_SESSION, start);
    return found;
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    long start = clock.monotonicTime();
    List<SessionRecord> found;
    try {
      found = delegate.findSessions(subject);
    } catch (RuntimeException e) {
      throw failed(Operation.FIND_SESSIONS, start, e);
    }
    succeeded(Operation.FIND_SESSIONS, start);
    return found;
  }

  @Override
  public boolean rotate(Rotation rotation) {
    long start = clock.monotonicTime();
    boolean applied;
    try {
      applied = delegate.rotate(rotation);
    } catch (RuntimeException e) {
      throw failed(Operation.ROTATE, start, e);
    }
    succeeded(Operation.ROTATE, start);
    return applied;
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    long start = clock.monotonicTime();
    boolean revoked;
    try {
      revoked = delegate.revokeSession(id, at);
    } catch (RuntimeException e) {
      throw failed(Operation.REVOKE_SESSION, start, e);
    }
    succeeded(Operation.REVOKE_SESSION, start);
    return revoked;
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    long start = clock.monotonicTime();
    int revoked;
    try {
      revoked = delegate.revokeAll(subject, at);
    } catch (RuntimeException e) {
      throw failed(Operation.REVOKE_ALL, start, e);
    }
    succeeded(Operation.REVOKE_ALL, start);
    return revoked;
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    long start = clock.monotonicTime();
    try {
      delegate.touch(id, lastUsedAt, expiresAt);
    } catch (RuntimeException e) {
      throw failed(Operation.TOUCH, start, e);
    }
    succeeded(Operation.TOUCH, start);
  }

  @Override
  public int purgeExpired(Instant now) {
    long start = clock.monotonicTime();
    int purged;
    try {
      purged = delegate.purgeExpired(now);
    } catch (RuntimeException e) {
      throw failed(Operation.PURGE_EXPIRED, start, e);
    }
    succeeded(Operation.PURGE_EXPIRED, start);
    return purged;
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "Timed[" + delegate + "]";
  }

  private void succeeded(Operation operation, long start) {
    record(operation, SUCCESS, start);
  }

  /** Records the failed call and returns {@code e} unchanged, for the caller to rethrow. */
  private RuntimeException failed(Operation operation, long start, RuntimeException e) {
    record(operation, e instanceof StoreUnavailableException ? UNAVAILABLE : ERROR, start);
    return e;
  }

  private void record(Operation operation, int outcome, long start) {
    timers[operation.ordinal()][outcome]
        .record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
  }
}
