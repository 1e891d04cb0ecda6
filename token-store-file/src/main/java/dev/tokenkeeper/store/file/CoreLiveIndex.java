package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@link LiveIndex} on token-core's {@link InMemoryTokenStore}: the only class of this module
 * that calls it. Thread-safe as that store is.
 */
final class CoreLiveIndex extends ForwardingTokenStore implements LiveIndex {

  private final InMemoryTokenStore store;

  CoreLiveIndex() {
    this(new InMemoryTokenStore());
  }

  private CoreLiveIndex(InMemoryTokenStore store) {
    super(store);
    this.store = store;
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
}
