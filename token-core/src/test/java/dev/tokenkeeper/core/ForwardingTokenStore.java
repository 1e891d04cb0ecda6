package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An in-memory store for test stores to extend, overriding only the calls they watch (counting,
 * failing, injecting a race). Published in token-core's test-jar.
 */
public abstract class ForwardingTokenStore implements TokenStore {

  private final InMemoryTokenStore delegate = new InMemoryTokenStore();

  @Override
  public void save(TokenRecord record) {
    delegate.save(record);
  }

  @Override
  public Optional<TokenRecord> find(TokenHash hash) {
    return delegate.find(hash);
  }

  @Override
  public List<TokenRecord> findBySubject(String subject) {
    return delegate.findBySubject(subject);
  }

  @Override
  public boolean revoke(TokenHash hash, Instant at) {
    return delegate.revoke(hash, at);
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    return delegate.revokeAll(subject, at);
  }

  @Override
  public void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    delegate.touch(hash, lastUsedAt, expiresAt);
  }

  @Override
  public boolean delete(TokenHash hash) {
    return delegate.delete(hash);
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
