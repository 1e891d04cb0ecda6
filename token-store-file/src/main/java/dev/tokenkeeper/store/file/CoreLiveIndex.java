package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@link LiveIndex} on token-core's {@link InMemoryTokenStore}: the only class of this module
 * that calls it. Thread-safe as that store is.
 */
final class CoreLiveIndex implements LiveIndex {

  private final InMemoryTokenStore store = new InMemoryTokenStore();

  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    store.create(session, tokens);
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    return store.find(hash);
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    return store.findSession(id);
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    return store.findSessions(subject);
  }

  @Override
  public boolean rotate(Rotation rotation) {
    return store.rotate(rotation);
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    return store.revokeSession(id, at);
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    return store.revokeAll(subject, at);
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    store.touch(id, lastUsedAt, expiresAt);
  }

  @Override
  public boolean touchIfLive(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    SessionRecord before = store.findSession(id).orElse(null);
    if (before == null || before.isRevoked()) {
      return false;
    }
    store.touch(id, lastUsedAt, expiresAt);
    // touchedAt returns the same instance when nothing changed.
    return store.findSession(id).orElse(before) != before;
  }

  @Override
  public int purgeExpired(Instant now) {
    return store.purgeExpired(now);
  }

  @Override
  public void forEachSession(Consumer<SessionRecord> action) {
    store.forEachSession(action);
  }

  @Override
  public List<TokenRecord> tokensOf(SessionId id) {
    return store.tokensOf(id);
  }

  @Override
  public int sessionCount() {
    return store.sessionCount();
  }

  @Override
  public int tokenCount() {
    return store.tokenCount();
  }

  @Override
  public void close() {
    store.close();
  }
}
