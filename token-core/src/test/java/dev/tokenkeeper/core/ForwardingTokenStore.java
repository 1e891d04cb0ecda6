package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A store that passes every call to another, for test stores to extend, overriding only the calls
 * they watch (counting, failing, injecting a race or a defect). Published in token-core's
 * test-jar.
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
