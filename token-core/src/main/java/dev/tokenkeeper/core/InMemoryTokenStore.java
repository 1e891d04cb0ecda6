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
 *
 * <p><b>Layout.</b> A session lives in one {@code Cell}, shared by the {@code Slot} of each of its
 * tokens, so a lookup on the request path is one hash-table probe and two pointer reads, not a
 * second table probe by session id. The cell also lists its tokens, for purging and snapshots.
 */
public final class InMemoryTokenStore implements TokenStore {

  /** One session: its current record and its tokens. Written under the store's monitor. */
  private static final class Cell {
    volatile SessionRecord session;
    volatile Slot[] slots = new Slot[0];

    Cell(SessionRecord session) {
      this.session = session;
    }
  }

  /** One token: its current record and its session's cell. */
  private static final class Slot {
    volatile TokenRecord token;
    final Cell cell;

    Slot(TokenRecord token, Cell cell) {
      this.token = token;
      this.cell = cell;
    }
  }

  private final Map<SessionId, Cell> sessions = new ConcurrentHashMap<>();
  private final Map<TokenHash, Slot> tokens = new ConcurrentHashMap<>();
  /** Guarded by {@code this}. */
  private final Map<String, Set<SessionId>> bySubject = new ConcurrentHashMap<>();

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
    Cell cell = new Cell(session);
    addTokens(cell, newTokens);
    sessions.put(session.id(), cell);
    bySubject.computeIfAbsent(session.subject(), s -> new HashSet<>()).add(session.id());
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
    Slot slot = tokens.get(hash);
    if (slot == null) {
      return Optional.empty();
    }
    while (true) {
      TokenRecord token = slot.token;
      SessionRecord session = slot.cell.session;
      if (slot.token == token) {
        return Optional.of(new TokenEntry(token, session));
      }
    }
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    Cell cell = sessions.get(id);
    return cell == null ? Optional.empty() : Optional.of(cell.session);
  }

  @Override
  public synchronized List<SessionRecord> findSessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    List<SessionRecord> found = new ArrayList<>();
    for (SessionId id : bySubject.getOrDefault(subject, Set.of())) {
      found.add(sessions.get(id).session);
    }
    return found;
  }

  @Override
  public synchronized boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    requireOpen();
    Cell cell = sessions.get(rotation.sessionId());
    Slot presented = tokens.get(rotation.rotated());
    if (cell == null || presented == null || presented.cell != cell
        || !rotation.appliesTo(cell.session, presented.token)) {
      return false;
    }
    requireNew(cell.session.id(), rotation.added());
    // Lock-free readers see the new tokens before the tombstone that hands them out, and the
    // tombstone before the session that names the successor current; find relies on this order
    // to read a consistent pair.
    addTokens(cell, rotation.added());
    for (Slot slot : cell.slots) {
      slot.token = slot.token.withoutSuccessorAt(rotation.at());
    }
    presented.token = rotation.applyTo(presented.token);
    cell.session = rotation.applyTo(cell.session);
    return true;
  }

  @Override
  public synchronized boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    requireOpen();
    Cell cell = sessions.get(id);
    if (cell == null || cell.session.isRevoked()) {
      return false;
    }
    cell.session = cell.session.revokedAt(at);
    return true;
  }

  @Override
  public synchronized int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    int count = 0;
    for (SessionId id : bySubject.getOrDefault(subject, Set.of())) {
      Cell cell = sessions.get(id);
      if (cell.session.isLiveAt(at)) {
        count++;
      }
      cell.session = cell.session.revokedAt(at);
    }
    return count;
  }

  @Override
  public synchronized void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    Cell cell = sessions.get(id);
    if (cell != null) {
      cell.session = cell.session.touchedAt(lastUsedAt, expiresAt);
    }
  }

  @Override
  public synchronized int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    int count = 0;
    for (Cell cell : List.copyOf(sessions.values())) {
      if (cell.session.isPurgeableAt(now)) {
        remove(cell);
        count++;
      } else {
        for (Slot slot : cell.slots) {
          slot.token = slot.token.withoutSuccessorAt(now);
        }
      }
    }
    return count;
  }

  /** The tokens of session {@code id} (current, rotated and expired alike), in no set order. */
  public synchronized List<TokenRecord> tokensOf(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    Cell cell = sessions.get(id);
    List<TokenRecord> found = new ArrayList<>();
    if (cell != null) {
      for (Slot slot : cell.slots) {
        found.add(slot.token);
      }
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
    for (Cell cell : sessions.values()) {
      action.accept(cell.session);
    }
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

  private void addTokens(Cell cell, List<TokenRecord> added) {
    Slot[] present = cell.slots;
    Slot[] more = Arrays.copyOf(present, present.length + added.size());
    for (int i = 0; i < added.size(); i++) {
      Slot slot = new Slot(added.get(i), cell);
      tokens.put(slot.token.hash(), slot);
      more[present.length + i] = slot;
    }
    cell.slots = more;
  }

  private void remove(Cell cell) {
    SessionRecord session = cell.session;
    sessions.remove(session.id());
    for (Slot slot : cell.slots) {
      tokens.remove(slot.token.hash());
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
