package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
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
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    throw down();
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    throw down();
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    throw down();
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    throw down();
  }

  @Override
  public boolean rotate(Rotation rotation) {
    throw down();
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    throw down();
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    throw down();
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    throw down();
  }

  @Override
  public int purgeExpired(Instant now) {
    throw down();
  }

  @Override
  public void close() {}
}
