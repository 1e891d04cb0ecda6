package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A store whose disk is gone: every call throws {@link StoreUnavailableException}. */
final class FailingTokenStore implements TokenStore {

  private static StoreUnavailableException down() {
    return new StoreUnavailableException("disk unavailable (test)");
  }

  @Override
  public void save(TokenRecord record) {
    throw down();
  }

  @Override
  public Optional<TokenRecord> find(TokenHash hash) {
    throw down();
  }

  @Override
  public List<TokenRecord> findBySubject(String subject) {
    throw down();
  }

  @Override
  public boolean revoke(TokenHash hash, Instant at) {
    throw down();
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    throw down();
  }

  @Override
  public void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    throw down();
  }

  @Override
  public boolean delete(TokenHash hash) {
    throw down();
  }

  @Override
  public int purgeExpired(Instant now) {
    throw down();
  }

  @Override
  public void close() {}
}
