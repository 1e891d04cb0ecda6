package dev.tokenkeeper.core;

import dev.tokenkeeper.core.FaultInjector.Step;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link ForwardingTokenStore} that routes every call but {@link #close} through one
 * {@link #around} hook, named by its {@link Step}, for test stores that act on every call alike
 * (failing it, parking it, recording it). Published in token-core's test-jar.
 */
public abstract class SteppedStore extends ForwardingTokenStore {

  protected SteppedStore(TokenStore delegate) {
    super(delegate);
  }

  /** Makes {@code call}, the forwarding of the SPI call named {@code step}; by default only that. */
  protected <T> T around(Step step, Supplier<T> call) {
    return call.get();
  }

  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    around(Step.CREATE, () -> {
      super.create(session, tokens);
      return null;
    });
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    return around(Step.FIND, () -> super.find(hash));
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    return around(Step.FIND_SESSION, () -> super.findSession(id));
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    return around(Step.FIND_SESSIONS, () -> super.findSessions(subject));
  }

  @Override
  public boolean rotate(Rotation rotation) {
    return around(Step.ROTATE, () -> super.rotate(rotation));
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    return around(Step.REVOKE_SESSION, () -> super.revokeSession(id, at));
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    return around(Step.REVOKE_ALL, () -> super.revokeAll(subject, at));
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    around(Step.TOUCH, () -> {
      super.touch(id, lastUsedAt, expiresAt);
      return null;
    });
  }

  @Override
  public int purgeExpired(Instant now) {
    return around(Step.PURGE, () -> super.purgeExpired(now));
  }
}
