package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A store that passes every call to another, for decorators to extend, overriding only the calls
 * they change: timing them, closing a resource after the store, counting or failing calls in tests.
 * A decorator that overrides nothing keeps the delegate's contract whole.
 *
 * <pre>{@code
 * TokenStore closingPool = new ForwardingTokenStore(store) {
 *   @Override
 *   public void close() {
 *     try {
 *       super.close();
 *     } finally {
 *       pool.close();
 *     }
 *   }
 * };
 * }</pre>
 */
public abstract class ForwardingTokenStore implements TokenStore {

  private final TokenStore delegate;

  /**
   * Forwards every call to {@code delegate}.
   *
   * @param delegate the store calls are passed to
   */
  protected ForwardingTokenStore(TokenStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The store calls are forwarded to. */
  protected TokenStore delegate() {
    return delegate;
  }

  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    delegate.create(session, tokens);
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    return delegate.find(hash);
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    return delegate.findSession(id);
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    return delegate.findSessions(subject);
  }

  @Override
  public boolean rotate(Rotation rotation) {
    return delegate.rotate(rotation);
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    return delegate.revokeSession(id, at);
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    return delegate.revokeAll(subject, at);
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    delegate.touch(id, lastUsedAt, expiresAt);
  }

  @Override
  public int purgeExpired(Instant now) {
    return delegate.purgeExpired(now);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
