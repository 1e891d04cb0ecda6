package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A plain store over two maps, with each rule behind a method a subclass can break: the base for
 * the deliberately broken stores {@link BrokenStoresTest} runs the contract against. Its
 * {@link #copy()} stands in for what a durable store would load on reopen.
 */
class MapStore implements TokenStore {

  final Map<SessionId, SessionRecord> sessions = new HashMap<>();
  final Map<TokenHash, TokenRecord> tokens = new HashMap<>();
  private boolean closed;

  /** What a reopen would load: by default everything, as it is. */
  MapStore copy() {
    MapStore copy = newEmpty();
    copy.sessions.putAll(sessions);
    copy.tokens.putAll(tokens);
    return copy;
  }

  /** What a reopen after a crash would load: by default what a clean reopen does. */
  MapStore crashCopy() {
    return copy();
  }

  MapStore newEmpty() {
    return new MapStore();
  }

  SessionRecord touched(SessionRecord session, Instant usedAt, Instant expiresAt) {
    return session.touchedAt(usedAt, expiresAt);
  }

  boolean purgeable(SessionRecord session, Instant now) {
    return session.isPurgeableAt(now);
  }

  @Override
  public synchronized void create(SessionRecord session, List<TokenRecord> added) {
    requireOpen();
    if (sessions.containsKey(session.id())
        || added.stream().anyMatch(t -> tokens.containsKey(t.hash()))) {
      throw new IllegalArgumentException("already stored");
    }
    sessions.put(session.id(), session);
    added.forEach(t -> tokens.put(t.hash(), t));
  }

  @Override
  public synchronized Optional<TokenEntry> find(TokenHash hash) {
    requireOpen();
    TokenRecord token = tokens.get(hash);
    SessionRecord session = token == null ? null : sessions.get(token.sessionId());
    return session == null ? Optional.empty() : Optional.of(new TokenEntry(token, session));
  }

  @Override
  public synchronized Optional<SessionRecord> findSession(SessionId id) {
    requireOpen();
    return Optional.ofNullable(sessions.get(id));
  }

  @Override
  public synchronized List<SessionRecord> findSessions(String subject) {
    requireOpen();
    return sessions.values().stream().filter(s -> s.subject().equals(subject)).toList();
  }

  @Override
  public synchronized boolean rotate(Rotation rotation) {
    requireOpen();
    SessionRecord session = sessions.get(rotation.sessionId());
    TokenRecord presented = tokens.get(rotation.rotated());
    if (session == null || presented == null || !rotation.appliesTo(session, presented)) {
      return false;
    }
    sessions.put(session.id(), rotation.applyTo(session));
    tokens.put(presented.hash(), rotation.applyTo(presented));
    rotation.added().forEach(t -> tokens.put(t.hash(), t));
    return true;
  }

  @Override
  public synchronized boolean revokeSession(SessionId id, Instant at) {
    requireOpen();
    SessionRecord session = sessions.get(id);
    if (session == null || session.isRevoked()) {
      return false;
    }
    sessions.put(id, session.revokedAt(at));
    return true;
  }

  @Override
  public synchronized int revokeAll(String subject, Instant at) {
    requireOpen();
    int count = 0;
    for (SessionRecord session : findSessions(subject)) {
      count += session.isLiveAt(at) ? 1 : 0;
      sessions.put(session.id(), session.revokedAt(at));
    }
    return count;
  }

  @Override
  public synchronized void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    requireOpen();
    SessionRecord session = sessions.get(id);
    if (session != null) {
      sessions.put(id, touched(session, lastUsedAt, expiresAt));
    }
  }

  @Override
  public synchronized int purgeExpired(Instant now) {
    requireOpen();
    List<SessionId> gone = new ArrayList<>();
    sessions.values().stream().filter(s -> purgeable(s, now)).forEach(s -> gone.add(s.id()));
    gone.forEach(sessions::remove);
    tokens.values().removeIf(t -> !sessions.containsKey(t.sessionId()));
    return gone.size();
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
  }
}
