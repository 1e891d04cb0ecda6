package dev.tokenkeeper.core;

import dev.tokenkeeper.core.FaultInjector.Step;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A store that passes every call to another, for test stores to extend, overriding only the calls
 * they watch (counting, injecting a defect), or {@link #around} to act on every call alike
 * (failing it, parking it). Published in token-core's test-jar.
 */
public abstract class ForwardingTokenStore implements TokenStore {

  private final TokenStore delegate;

  /** Forwards to a new {@link InMemoryTokenStore}. */
  protected ForwardingTokenStore() {
    this(new InMemoryTokenStore());
  }

  protected ForwardingTokenStore(TokenStore delegate) {
    this.delegate = delegate;
  }

  /** The store calls are forwarded to. */
  protected TokenStore delegate() {
    return delegate;
  }

  /**
   * Makes {@code call}, the forwarding of the SPI call named {@code step}; by default only that.
   * Every call but {@link #close} passes here.
   */
  protected <T> T around(Step step, Supplier<T> call) {
    return call.get();
  }

  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    around(Step.CREATE, () -> {
      delegate.create(session, tokens);
      return null;
    });
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    return around(Step.FIND, () -> delegate.find(hash));
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    return around(Step.FIND_SESSION, () -> delegate.findSession(id));
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    return around(Step.FIND_SESSIONS, () -> delegate.findSessions(subject));
  }

  @Override
  public boolean rotate(Rotation rotation) {
    return around(Step.ROTATE, () -> delegate.rotate(rotation));
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    return around(Step.REVOKE_SESSION, () -> delegate.revokeSession(id, at));
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    return around(Step.REVOKE_ALL, () -> delegate.revokeAll(subject, at));
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    around(Step.TOUCH, () -> {
      delegate.touch(id, lastUsedAt, expiresAt);
      return null;
    });
  }

  @Override
  public int purgeExpired(Instant now) {
    return around(Step.PURGE, () -> delegate.purgeExpired(now));
  }

  @Override
  public void close() {
    delegate.close();
  }
}
