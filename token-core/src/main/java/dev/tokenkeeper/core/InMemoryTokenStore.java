package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A {@link TokenStore} held in this process's memory only: for tests, for single-process use where
 * losing every session on restart is acceptable, and as the live index of durable stores that
 * replay their files into it. Nothing is durable.
 *
 * <p>Thread-safe; share one. {@link #find} and {@link #findSession} are lock-free; every change
 * takes this object's monitor, which never spans I/O, so each one is atomic with respect to the
 * others: a revoke racing a rotation or a touch is either seen by it or applied after it.
 */
public final class InMemoryTokenStore implements TokenStore {

  private final Map<SessionId, SessionRecord> sessions = new ConcurrentHashMap<>();
  private final Map<TokenHash, TokenRecord> tokens = new ConcurrentHashMap<>();
  /** Guarded by {@code this}. */
  private final Map<String, Set<SessionId>> bySubject = new ConcurrentHashMap<>();
  /** Guarded by {@code this}: each session's token hashes, for purging and listing. */
  private final Map<SessionId, TokenHash[]> tokensOf = new ConcurrentHashMap<>();

  private volatile boolean closed;

  /** An empty store. */
  public InMemoryTokenStore() {}

  @Override
  public synchronized void create(SessionRecord session, List<TokenRecord> newTokens) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(newTokens, "tokens");
    requireOpen();
    if (sessions.containsKey(session.id())) {
      throw new IllegalArgumentException("a session is already stored under " + session.id());
    }
    requireNew(session.id(), newTokens);
    sessions.put(session.id(), session);
    bySubject.computeIfAbsent(session.subject(), s -> new HashSet<>()).add(session.id());
    addTokens(session.id(), newTokens);
  }

  /**
   * {@inheritDoc} Lock-free. The token is read again after its session, and the pair returned
   * only if the token did not change in between: {@link #rotate} stores the rotated token before
   * the session, so a token read before a rotation is never paired with the session after it
   * (which would look like a live token that is not the session's current one).
   */
  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    TokenRecord token = tokens.get(hash);
    while (token != null) {
      SessionRecord session = sessions.get(token.sessionId());
      TokenRecord again = tokens.get(hash);
      if (again == token) {
        return session == null ? Optional.empty() : Optional.of(new TokenEntry(token, session));
      }
      token = again;
    }
    return Optional.empty();
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    return Optional.ofNullable(sessions.get(id));
  }

  @Override
  public synchronized List<SessionRecord> findSessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    List<SessionRecord> found = new ArrayList<>();
    for (SessionId id : bySubject.getOrDefault(subject, Set.of())) {
      found.add(sessions.get(id));
    }
    return found;
  }

  @Override
  public synchronized boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    requireOpen();
    SessionRecord session = sessions.get(rotation.sessionId());
    TokenRecord presented = tokens.get(rotation.rotated());
    if (session == null || presented == null || !rotation.appliesTo(session, presented)) {
      return false;
    }
    requireNew(session.id(), rotation.added());
    // Lock-free readers see the new tokens before the tombstone that hands them out, and the
    // tombstone before the session that names the successor current; find relies on this order
    // to read a consistent pair.
    addTokens(session.id(), rotation.added());
    for (TokenHash hash : tokensOf.get(session.id())) {
      tokens.computeIfPresent(hash, (h, token) -> token.withoutSuccessorAt(rotation.at()));
    }
    tokens.put(presented.hash(), rotation.applyTo(presented));
    sessions.put(session.id(), rotation.applyTo(session));
    return true;
  }

  @Override
  public synchronized boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
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
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    int count = 0;
    for (SessionId id : bySubject.getOrDefault(subject, Set.of())) {
      SessionRecord session = sessions.get(id);
      if (session.isLiveAt(at)) {
        count++;
      }
      sessions.put(id, session.revokedAt(at));
    }
    return count;
  }

  @Override
  public synchronized void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    SessionRecord session = sessions.get(id);
    if (session != null) {
      sessions.put(id, session.touchedAt(lastUsedAt, expiresAt));
    }
  }

  @Override
  public synchronized int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    int count = 0;
    for (SessionRecord session : List.copyOf(sessions.values())) {
      if (session.isPurgeableAt(now)) {
        remove(session);
        count++;
      } else {
        for (TokenHash hash : tokensOf.get(session.id())) {
          tokens.computeIfPresent(hash, (h, token) -> token.withoutSuccessorAt(now));
        }
      }
    }
    return count;
  }

  /** The tokens of session {@code id} (current, rotated and expired alike), in no set order. */
  public synchronized List<TokenRecord> tokensOf(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    List<TokenRecord> found = new ArrayList<>();
    for (TokenHash hash : tokensOf.getOrDefault(id, new TokenHash[0])) {
      found.add(tokens.get(hash));
    }
    return found;
  }

  /**
   * Calls {@code action} with every stored session, under this store's monitor: for a durable
   * store writing a snapshot of it. The action must not call back into this store from another
   * thread.
   */
  public synchronized void forEachSession(Consumer<SessionRecord> action) {
    Objects.requireNonNull(action, "action");
    requireOpen();
    sessions.values().forEach(action);
  }

  /** How many sessions are stored, revoked and expired ones included. */
  public int sessionCount() {
    return sessions.size();
  }

  /** How many tokens are stored, rotated ones and those of revoked sessions included. */
  public int tokenCount() {
    return tokens.size();
  }

  @Override
  public void close() {
    closed = true;
  }

  private void requireNew(SessionId id, List<TokenRecord> added) {
    Set<TokenHash> seen = new HashSet<>();
    for (TokenRecord token : added) {
      Objects.requireNonNull(token, "token");
      if (!token.sessionId().equals(id)) {
        throw new IllegalArgumentException(
            "token of session " + token.sessionId() + " added to session " + id);
      }
      if (tokens.containsKey(token.hash()) || !seen.add(token.hash())) {
        throw new IllegalArgumentException("a token is already stored under " + token.hash());
      }
    }
  }

  private void addTokens(SessionId id, List<TokenRecord> added) {
    TokenHash[] present = tokensOf.getOrDefault(id, new TokenHash[0]);
    TokenHash[] more = Arrays.copyOf(present, present.length + added.size());
    for (int i = 0; i < added.size(); i++) {
      TokenRecord token = added.get(i);
      tokens.put(token.hash(), token);
      more[present.length + i] = token.hash();
    }
    tokensOf.put(id, more);
  }

  private void remove(SessionRecord session) {
    sessions.remove(session.id());
    for (TokenHash hash : tokensOf.remove(session.id())) {
      tokens.remove(hash);
    }
    Set<SessionId> ids = bySubject.get(session.subject());
    if (ids != null) {
      ids.remove(session.id());
      if (ids.isEmpty()) {
        bySubject.remove(session.subject());
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }
}
