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
 * tokens. The cell holds one immutable {@code State}: the session's record and its tokens' records
 * together, replaced whole by every change. So a lookup on the request path is one hash-table
 * probe and two pointer reads, and it always sees a token and its session as of one moment: a
 * rotation's tombstone, its new tokens and the session naming the new current token appear at
 * once, never one before the other.
 */
public final class InMemoryTokenStore implements TokenStore {

  /** A session's record and its tokens' records at one moment. Immutable. */
  private static final class State {
    final SessionRecord session;
    final TokenRecord[] tokens;

    State(SessionRecord session, TokenRecord[] tokens) {
      this.session = session;
      this.tokens = tokens;
    }

    State with(SessionRecord changed) {
      return changed == session ? this : new State(changed, tokens);
    }
  }

  /** One session. Its state is replaced only under the store's monitor. */
  private static final class Cell {
    volatile State state;

    Cell(State state) {
      this.state = state;
    }
  }

  /** One token: where its record is in its session's state. */
  private static final class Slot {
    final Cell cell;
    final int index;

    Slot(Cell cell, int index) {
      this.cell = cell;
      this.index = index;
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
    Cell cell = new Cell(new State(session, newTokens.toArray(new TokenRecord[0])));
    index(cell, 0);
    sessions.put(session.id(), cell);
    bySubject.computeIfAbsent(session.subject(), s -> new HashSet<>()).add(session.id());
  }

  /** {@inheritDoc} Lock-free: one read of the session's state gives the token and session. */
  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    Slot slot = tokens.get(hash);
    if (slot == null) {
      return Optional.empty();
    }
    State state = slot.cell.state;
    if (slot.index >= state.tokens.length) {
      // A token being added: its slot is indexed just before its state is published, under
      // the monitor, so taking the monitor waits for that.
      synchronized (this) {
        state = slot.cell.state;
      }
    }
    return Optional.of(new TokenEntry(state.tokens[slot.index], state.session));
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    Cell cell = sessions.get(id);
    return cell == null ? Optional.empty() : Optional.of(cell.state.session);
  }

  @Override
  public synchronized List<SessionRecord> findSessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    List<SessionRecord> found = new ArrayList<>();
    for (SessionId id : bySubject.getOrDefault(subject, Set.of())) {
      found.add(sessions.get(id).state.session);
    }
    return found;
  }

  @Override
  public synchronized boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    requireOpen();
    Cell cell = sessions.get(rotation.sessionId());
    Slot presented = tokens.get(rotation.rotated());
    if (cell == null || presented == null || presented.cell != cell) {
      return false;
    }
    State state = cell.state;
    if (!rotation.appliesTo(state.session, state.tokens[presented.index])) {
      return false;
    }
    requireNew(state.session.id(), rotation.added());
    TokenRecord[] next = rotation.applyTo(state.tokens, presented.index);
    // The new tokens' slots first, then the state that holds them, in one write with the
    // tombstone and the session naming the new current token.
    index(cell, state.tokens.length, next);
    cell.state = new State(rotation.applyTo(state.session), next);
    return true;
  }

  @Override
  public synchronized boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    requireOpen();
    Cell cell = sessions.get(id);
    if (cell == null || cell.state.session.isRevoked()) {
      return false;
    }
    cell.state = cell.state.with(cell.state.session.revokedAt(at));
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
      if (cell.state.session.isLiveAt(at)) {
        count++;
      }
      cell.state = cell.state.with(cell.state.session.revokedAt(at));
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
      cell.state = cell.state.with(cell.state.session.touchedAt(lastUsedAt, expiresAt));
    }
  }

  @Override
  public synchronized int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    int count = 0;
    for (Cell cell : List.copyOf(sessions.values())) {
      State state = cell.state;
      if (state.session.isPurgeableAt(now)) {
        remove(cell);
        count++;
        continue;
      }
      TokenRecord[] kept = TokenRecord.withoutSuccessorsAt(state.tokens, now);
      if (kept != state.tokens) {
        cell.state = new State(state.session, kept);
      }
    }
    return count;
  }

  /** The tokens of session {@code id} (current, rotated and expired alike), in no set order. */
  public synchronized List<TokenRecord> tokensOf(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    Cell cell = sessions.get(id);
    return cell == null ? new ArrayList<>() : new ArrayList<>(Arrays.asList(cell.state.tokens));
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
      action.accept(cell.state.session);
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

  /** Indexes the cell's tokens from {@code from} on, as its current state holds them. */
  private void index(Cell cell, int from) {
    index(cell, from, cell.state.tokens);
  }

  private void index(Cell cell, int from, TokenRecord[] records) {
    for (int i = from; i < records.length; i++) {
      tokens.put(records[i].hash(), new Slot(cell, i));
    }
  }

  private void remove(Cell cell) {
    SessionRecord session = cell.state.session;
    sessions.remove(session.id());
    for (TokenRecord token : cell.state.tokens) {
      tokens.remove(token.hash());
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
