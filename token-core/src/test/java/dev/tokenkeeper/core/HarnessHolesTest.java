package dev.tokenkeeper.core;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static dev.tokenkeeper.core.TokenServiceContract.CLIENT;
import static dev.tokenkeeper.core.TokenServiceContract.ELSEWHERE;
import static dev.tokenkeeper.core.TokenServiceContract.refreshed;
import static dev.tokenkeeper.core.TokenServiceContract.rejected;
import static dev.tokenkeeper.core.TokenStoreContract.createPair;
import static dev.tokenkeeper.core.TokenStoreContract.createSingle;
import static dev.tokenkeeper.core.TokenStoreContract.rotation;
import static dev.tokenkeeper.core.TokenStoreContract.session;
import static dev.tokenkeeper.core.TokenStoreContract.token;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.BrokenStoresTest.Harness;
import dev.tokenkeeper.core.FaultInjector.Step;
import dev.tokenkeeper.core.FaultInjector.When;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Holes in the store contract harness, found by an outside review: deliberately broken stores in
 * {@link BrokenStoresTest}'s style, each run through {@link TokenStoreContract},
 * {@link TokenServiceContract} and {@link SessionRaceContract} with their after-each validation
 * and fault axis. Each {@code ..._isCaught} test below first shows the bug is real, then asserts
 * some contract test fails on the store. Each failed when its hole was found; the comment on each
 * names the hole, which the contracts now close (but the disabled one, which says why not). The
 * last test holds the broken stores the contracts caught from the start.
 *
 * <p>Race trials per pairing: {@code -Dtokenkeeper.raceTrials} (300 if unset, as
 * {@link BrokenStoresTest}).
 */
class HarnessHolesTest {

  // ---------------------------------------------------------------------------------------------
  // Durability of what create / rotate wrote, field by field

  /** The create path persists tokens without their own expiry (its INSERT misses the column). */
  static final class LosesCreatedTokenExpiry extends Harness {
    @Override
    MapStore store() {
      return new Store();
    }

    static final class Store extends MapStore {
      final Set<TokenHash> created = new HashSet<>();

      @Override
      public synchronized void create(SessionRecord session, List<TokenRecord> added) {
        super.create(session, added);
        added.forEach(t -> created.add(t.hash()));
      }

      @Override
      MapStore newEmpty() {
        return new Store();
      }

      @Override
      synchronized MapStore copy() {
        Store copy = (Store) super.copy();
        copy.created.addAll(created);
        copy.tokens.replaceAll((h, t) -> created.contains(h)
            ? new TokenRecord(h, t.sessionId(), null, t.rotatedAt(), t.successor()) : t);
        return copy;
      }
    }
  }

  /** The rotate path persists the session row without its client binding. */
  static final class LosesBindingOfRotatedSessions extends Harness {
    @Override
    MapStore store() {
      return new Store();
    }

    static final class Store extends MapStore {
      final Set<SessionId> rotated = new HashSet<>();

      @Override
      public synchronized boolean rotate(Rotation rotation) {
        boolean ok = super.rotate(rotation);
        if (ok) {
          rotated.add(rotation.sessionId());
        }
        return ok;
      }

      @Override
      MapStore newEmpty() {
        return new Store();
      }

      @Override
      synchronized MapStore copy() {
        Store copy = (Store) super.copy();
        copy.rotated.addAll(rotated);
        copy.sessions.replaceAll((id, s) -> rotated.contains(id)
            ? new SessionRecord(s.session(), null, s.refreshHash(), s.revokedAt()) : s);
        return copy;
      }
    }
  }

  /** Keeps only the newest tombstone's sealed pair (one successor column per session). */
  static final class LaterRotationDropsEarlierSuccessor extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized boolean rotate(Rotation rotation) {
          boolean ok = super.rotate(rotation);
          if (ok) {
            tokens.replaceAll((h, t) -> t.sessionId().equals(rotation.sessionId())
                && !h.equals(rotation.rotated()) && t.successor() != null
                ? new TokenRecord(h, t.sessionId(), t.expiresAt(), t.rotatedAt(), null) : t);
          }
          return ok;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Drops sealed pairs on reopen ("they are only for a few seconds"). */
  static final class SuccessorLostOnReopen extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        MapStore copy() {
          MapStore copy = super.copy();
          copy.tokens.replaceAll((h, t) -> t.successor() == null ? t
              : new TokenRecord(h, t.sessionId(), t.expiresAt(), t.rotatedAt(), null));
          return copy;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** A reopen loses the last write before the close (an unsynced tail). */
  static final class ReopenDropsLastWrite extends Harness {
    @Override
    MapStore store() {
      return new Store();
    }

    static final class Store extends MapStore {
      Map<SessionId, SessionRecord> beforeLastS = new HashMap<>();
      Map<TokenHash, TokenRecord> beforeLastT = new HashMap<>();

      private void mark() {
        beforeLastS = new HashMap<>(sessions);
        beforeLastT = new HashMap<>(tokens);
      }

      @Override
      public synchronized void create(SessionRecord session, List<TokenRecord> added) {
        Map<SessionId, SessionRecord> s = new HashMap<>(sessions);
        Map<TokenHash, TokenRecord> t = new HashMap<>(tokens);
        super.create(session, added);
        beforeLastS = s;
        beforeLastT = t;
      }

      @Override
      public synchronized boolean rotate(Rotation rotation) {
        Map<SessionId, SessionRecord> s = new HashMap<>(sessions);
        Map<TokenHash, TokenRecord> t = new HashMap<>(tokens);
        boolean ok = super.rotate(rotation);
        if (ok) {
          beforeLastS = s;
          beforeLastT = t;
        }
        return ok;
      }

      @Override
      public synchronized boolean revokeSession(SessionId id, Instant at) {
        Map<SessionId, SessionRecord> s = new HashMap<>(sessions);
        Map<TokenHash, TokenRecord> t = new HashMap<>(tokens);
        boolean ok = super.revokeSession(id, at);
        if (ok) {
          beforeLastS = s;
          beforeLastT = t;
        }
        return ok;
      }

      @Override
      public synchronized int revokeAll(String subject, Instant at) {
        mark();
        return super.revokeAll(subject, at);
      }

      @Override
      MapStore newEmpty() {
        return new Store();
      }

      @Override
      synchronized MapStore copy() {
        Store copy = new Store();
        copy.sessions.putAll(beforeLastS);
        copy.tokens.putAll(beforeLastT);
        // touches since are flushed on close: carry them over where the session is there
        sessions.forEach((id, s) -> copy.sessions.computeIfPresent(id,
            (k, old) -> old.touchedAt(s.session().lastUsedAt(), s.expiresAt())));
        copy.mark();
        return copy;
      }
    }
  }

  /** Acknowledges every write but writes it to disk on close only (write-behind). */
  static final class WritesOnlyOnClose extends Harness {
    @Override
    MapStore store() {
      return new Store(new HashMap<>(), new HashMap<>());
    }

    static final class Store extends MapStore {
      final Map<SessionId, SessionRecord> diskSessions;
      final Map<TokenHash, TokenRecord> diskTokens;

      Store(Map<SessionId, SessionRecord> diskSessions, Map<TokenHash, TokenRecord> diskTokens) {
        this.diskSessions = diskSessions;
        this.diskTokens = diskTokens;
        sessions.putAll(diskSessions);
        tokens.putAll(diskTokens);
      }

      @Override
      public synchronized void close() {
        diskSessions.clear();
        diskSessions.putAll(sessions);
        diskTokens.clear();
        diskTokens.putAll(tokens);
        super.close();
      }

      /** What a process that died now would find on disk. */
      Store crashAndReopen() {
        return new Store(diskSessions, diskTokens);
      }

      @Override
      MapStore newEmpty() {
        return new Store(new HashMap<>(), new HashMap<>());
      }

      @Override
      MapStore copy() {
        return new Store(diskSessions, diskTokens);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lazy touches

  /**
   * Touches are lazy: the row's expiry column is written at close only, and purge deletes by that
   * column without flushing pending touches first.
   */
  static final class PurgeBeforeTouchFlush extends Harness {
    @Override
    MapStore store() {
      return new Store();
    }

    static final class Store extends MapStore {
      final Map<SessionId, Instant> storedExpiry = new HashMap<>();

      @Override
      public synchronized void create(SessionRecord session, List<TokenRecord> added) {
        super.create(session, added);
        storedExpiry.put(session.id(), session.expiresAt());
      }

      @Override
      public synchronized boolean rotate(Rotation rotation) {
        boolean ok = super.rotate(rotation);
        if (ok) {
          storedExpiry.put(rotation.sessionId(), sessions.get(rotation.sessionId()).expiresAt());
        }
        return ok;
      }

      @Override
      boolean purgeable(SessionRecord session, Instant now) {
        return !now.isBefore(storedExpiry.getOrDefault(session.id(), session.expiresAt()));
      }

      @Override
      MapStore newEmpty() {
        return new Store();
      }

      @Override
      synchronized MapStore copy() {
        Store copy = (Store) super.copy();
        copy.sessions.forEach((id, s) -> copy.storedExpiry.put(id, s.expiresAt()));
        return copy;
      }
    }
  }

  /**
   * Touches are written back lazily as whole rows (a snapshot of the session at the touch);
   * revokeSession updates a pending snapshot, the other writes named here do not.
   */
  static class WriteBack extends MapStore {
    final boolean reconcileRevokeAll;
    final boolean reconcileRotate;
    final Map<SessionId, SessionRecord> diskSessions = new HashMap<>();
    final Map<TokenHash, TokenRecord> diskTokens = new HashMap<>();
    final Map<SessionId, SessionRecord> pending = new HashMap<>();

    WriteBack(boolean reconcileRevokeAll, boolean reconcileRotate) {
      this.reconcileRevokeAll = reconcileRevokeAll;
      this.reconcileRotate = reconcileRotate;
    }

    @Override
    public synchronized void create(SessionRecord session, List<TokenRecord> added) {
      super.create(session, added);
      diskSessions.put(session.id(), session);
      added.forEach(t -> diskTokens.put(t.hash(), t));
    }

    @Override
    public synchronized boolean rotate(Rotation rotation) {
      boolean ok = super.rotate(rotation);
      if (ok) {
        SessionId id = rotation.sessionId();
        diskSessions.put(id, sessions.get(id));
        diskTokens.put(rotation.rotated(), tokens.get(rotation.rotated()));
        rotation.added().forEach(t -> diskTokens.put(t.hash(), t));
        if (reconcileRotate) {
          pending.computeIfPresent(id, (k, v) -> sessions.get(id));
        }
      }
      return ok;
    }

    @Override
    public synchronized boolean revokeSession(SessionId id, Instant at) {
      boolean ok = super.revokeSession(id, at);
      if (ok) {
        diskSessions.put(id, sessions.get(id));
        pending.computeIfPresent(id, (k, v) -> v.revokedAt(at));
      }
      return ok;
    }

    @Override
    public synchronized int revokeAll(String subject, Instant at) {
      int count = super.revokeAll(subject, at);
      for (SessionRecord s : findSessions(subject)) {
        diskSessions.put(s.id(), s);
        if (reconcileRevokeAll) {
          pending.computeIfPresent(s.id(), (k, v) -> v.revokedAt(at));
        }
      }
      return count;
    }

    @Override
    public synchronized void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
      SessionRecord before = sessions.get(id);
      super.touch(id, lastUsedAt, expiresAt);
      SessionRecord after = sessions.get(id);
      if (after != before) {
        pending.put(id, after);
      }
    }

    @Override
    public synchronized int purgeExpired(Instant now) {
      int count = super.purgeExpired(now);
      diskSessions.keySet().retainAll(sessions.keySet());
      diskTokens.keySet().retainAll(tokens.keySet());
      pending.keySet().retainAll(sessions.keySet());
      return count;
    }

    @Override
    public synchronized void close() {
      pending.forEach((id, s) -> diskSessions.computeIfPresent(id, (k, v) -> s));
      pending.clear();
      super.close();
    }

    @Override
    MapStore newEmpty() {
      return new WriteBack(reconcileRevokeAll, reconcileRotate);
    }

    @Override
    synchronized MapStore copy() {
      WriteBack copy = (WriteBack) newEmpty();
      copy.sessions.putAll(diskSessions);
      copy.tokens.putAll(diskTokens);
      copy.diskSessions.putAll(diskSessions);
      copy.diskTokens.putAll(diskTokens);
      return copy;
    }
  }

  /** A pending touch written back after a logout-everywhere undoes it. */
  static final class WriteBackTouchUndoesRevokeAll extends Harness {
    @Override
    MapStore store() {
      return new WriteBack(false, true);
    }
  }

  /** A pending touch written back after a rotation puts the old refresh token back as current. */
  static final class WriteBackTouchUndoesRotation extends Harness {
    @Override
    MapStore store() {
      return new WriteBack(true, false);
    }
  }

  /** Touch guarded by last use only: a newer use sets the expiry it carries, even an earlier one. */
  static final class TouchGuardedByLastUseOnly extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        SessionRecord touched(SessionRecord s, Instant usedAt, Instant expiresAt) {
          if (s.isRevoked() || !usedAt.isAfter(s.session().lastUsedAt())) {
            return s;
          }
          Session old = s.session();
          return new SessionRecord(new Session(old.id(), old.subject(), old.label(),
              old.createdAt(), usedAt, expiresAt), s.binding(), s.refreshHash(), null);
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** A touch that forgets the revoke (rebuilds the record without revokedAt). */
  static final class TouchRevivesRevoked extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        SessionRecord touched(SessionRecord s, Instant usedAt, Instant expiresAt) {
          return new SessionRecord(s.session().touchedAt(usedAt, expiresAt), s.binding(),
              s.refreshHash(), null);
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Revocation

  /** revokeSession on a session already expired at {@code at} does nothing ("already over"). */
  static final class RevokeSkipsExpiredSessions extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized boolean revokeSession(SessionId id, Instant at) {
          SessionRecord s = sessions.get(id);
          if (s != null && s.session().isExpiredAt(at)) {
            return false;
          }
          return super.revokeSession(id, at);
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** revokeAll skips sessions already expired at {@code at} (but counts right). */
  static final class RevokeAllSkipsExpired extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized int revokeAll(String subject, Instant at) {
          int count = 0;
          for (SessionRecord s : findSessions(subject)) {
            if (s.isLiveAt(at)) {
              count++;
              sessions.put(s.id(), s.revokedAt(at));
            }
          }
          return count;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /**
   * "Every session stored when the call begins", done as {@code WHERE created_at <= ?at}: a
   * session created by a clock ahead of this one (a stepped-back clock, another node) is missed.
   */
  static final class RevokeAllByCreationTime extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized int revokeAll(String subject, Instant at) {
          int count = 0;
          for (SessionRecord s : findSessions(subject)) {
            if (!s.session().createdAt().isAfter(at)) {
              count += s.isLiveAt(at) ? 1 : 0;
              sessions.put(s.id(), s.revokedAt(at));
            }
          }
          return count;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Subjects compared case-insensitively (a SQL collation): alice's logout-all ends Alice's. */
  static final class CaseInsensitiveSubjects extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized List<SessionRecord> findSessions(String subject) {
          super.findSessions(subject);
          return sessions.values().stream().filter(s -> s.subject().equalsIgnoreCase(subject))
              .toList();
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** A rotation stamped at the very instant of the revoke is let through ("it was in flight"). */
  static final class SameInstantRotationAfterRevoke extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized boolean rotate(Rotation rotation) {
          SessionRecord s = sessions.get(rotation.sessionId());
          if (s != null && s.isRevoked() && !s.revokedAt().isBefore(rotation.at())) {
            SessionRecord unrevoked =
                new SessionRecord(s.session(), s.binding(), s.refreshHash(), null);
            sessions.put(s.id(), unrevoked);
            boolean ok = super.rotate(rotation);
            SessionRecord after = sessions.get(s.id());
            sessions.put(s.id(), new SessionRecord(after.session(), after.binding(),
                after.refreshHash(), s.revokedAt()));
            return ok;
          }
          return super.rotate(rotation);
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /**
   * Revocation kept per token as "issued before the revoke" ({@code issued_at < revoked_at}): a
   * token issued (created or rotated in) at the revoke's very instant stays live through find.
   */
  static final class RevokeSparesSameInstantTokens extends Harness {
    @Override
    MapStore store() {
      return new Store();
    }

    static final class Store extends MapStore {
      final Map<TokenHash, Instant> issuedAt = new HashMap<>();

      @Override
      public synchronized void create(SessionRecord session, List<TokenRecord> added) {
        super.create(session, added);
        added.forEach(t -> issuedAt.put(t.hash(), session.session().createdAt()));
      }

      @Override
      public synchronized boolean rotate(Rotation rotation) {
        boolean ok = super.rotate(rotation);
        if (ok) {
          rotation.added().forEach(t -> issuedAt.put(t.hash(), rotation.at()));
        }
        return ok;
      }

      @Override
      public synchronized Optional<TokenEntry> find(TokenHash hash) {
        Optional<TokenEntry> found = super.find(hash);
        if (found.isEmpty() || !found.get().session().isRevoked()) {
          return found;
        }
        SessionRecord s = found.get().session();
        Instant issued = issuedAt.get(hash);
        if (issued != null && !issued.isBefore(s.revokedAt())) {
          return Optional.of(new TokenEntry(found.get().token(),
              new SessionRecord(s.session(), s.binding(), s.refreshHash(), null)));
        }
        return found;
      }

      @Override
      MapStore newEmpty() {
        return new Store();
      }

      @Override
      synchronized MapStore copy() {
        Store copy = (Store) super.copy();
        copy.issuedAt.putAll(issuedAt);
        return copy;
      }
    }
  }

  /** The CAS checks the tombstone only, not the session's current refresh token. */
  static final class CasChecksTombstoneOnly extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized boolean rotate(Rotation rotation) {
          SessionRecord s = sessions.get(rotation.sessionId());
          if (s == null) {
            return super.rotate(rotation);
          }
          sessions.put(s.id(), new SessionRecord(s.session(), s.binding(),
              rotation.expectedCurrent(), s.revokedAt()));
          boolean ok = super.rotate(rotation);
          if (!ok) {
            sessions.put(s.id(), s);
          }
          return ok;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Revoked sessions move to a tombstone table; create checks the live table only. */
  static final class CreateOverRevokedSession extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized void create(SessionRecord session, List<TokenRecord> added) {
          SessionRecord old = sessions.get(session.id());
          if (old != null && old.isRevoked()) {
            sessions.remove(session.id());
          }
          try {
            super.create(session, added);
          } catch (IllegalArgumentException e) {
            if (old != null) {
              sessions.put(old.id(), old);
            }
            throw e;
          }
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** create of an existing session id replaces it (an upsert). */
  static final class CreateUpserts extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized void create(SessionRecord session, List<TokenRecord> added) {
          sessions.remove(session.id());
          super.create(session, added);
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Purge

  /** Revoked sessions are purged a minute after the revoke, not at their expiry. */
  static final class PurgesRevokedAfterRetention extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        boolean purgeable(SessionRecord s, Instant now) {
          return super.purgeable(s, now)
              || (s.isRevoked() && !now.isBefore(s.revokedAt().plus(Duration.ofMinutes(1))));
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Revoked sessions are purged at once. */
  static final class PurgesRevokedAtOnce extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        boolean purgeable(SessionRecord s, Instant now) {
          return super.purgeable(s, now) || s.isRevoked();
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Purge also drops tokens past their own expiry (expired access tokens) before the session. */
  static final class PurgesExpiredAccessTokens extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public synchronized int purgeExpired(Instant now) {
          int count = super.purgeExpired(now);
          tokens.values().removeIf(t -> t.expiresAt() != null && !t.isRotated()
              && !now.isBefore(t.expiresAt()));
          return count;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** A session is purgeable once any of its tokens has expired. */
  static final class PurgesByTokenExpiry extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        boolean purgeable(SessionRecord s, Instant now) {
          return super.purgeable(s, now) || tokens.values().stream().anyMatch(t ->
              t.sessionId().equals(s.id()) && t.expiresAt() != null
                  && !now.isBefore(t.expiresAt()));
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Atomicity and ordering

  /** find reads the token and then, in a second step, its session. */
  static final class FindAtTwoMoments extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public Optional<TokenEntry> find(TokenHash hash) {
          TokenRecord token;
          synchronized (this) {
            super.find(hash);
            token = tokens.get(hash);
          }
          if (token == null) {
            return Optional.empty();
          }
          Thread.yield();
          synchronized (this) {
            SessionRecord session = sessions.get(token.sessionId());
            return session == null ? Optional.empty()
                : Optional.of(new TokenEntry(token, session));
          }
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // A near cache in front of a backing store

  /** A cache of find results in front of a backing {@link MapStore}. */
  static class Caching extends ForwardingTokenStore {
    final MapStore backing;
    final boolean evictOnRevokeAll;
    final boolean evictRevokeOnlyWhenTrue;
    final Map<TokenHash, TokenEntry> cache = new HashMap<>();

    Caching(TokenStore calls, MapStore backing, boolean evictOnRevokeAll,
        boolean evictRevokeOnlyWhenTrue) {
      super(calls);
      this.backing = backing;
      this.evictOnRevokeAll = evictOnRevokeAll;
      this.evictRevokeOnlyWhenTrue = evictRevokeOnlyWhenTrue;
    }

    private void evict(SessionId id) {
      cache.values().removeIf(e -> e.session().id().equals(id));
    }

    @Override
    public synchronized Optional<TokenEntry> find(TokenHash hash) {
      TokenEntry cached = cache.get(hash);
      if (cached != null) {
        return Optional.of(cached);
      }
      Optional<TokenEntry> found = super.find(hash);
      found.ifPresent(e -> cache.put(hash, e));
      return found;
    }

    @Override
    public synchronized boolean rotate(Rotation rotation) {
      try {
        return super.rotate(rotation);
      } finally {
        evict(rotation.sessionId());
      }
    }

    @Override
    public synchronized boolean revokeSession(SessionId id, Instant at) {
      if (!evictRevokeOnlyWhenTrue) {
        try {
          return super.revokeSession(id, at);
        } finally {
          evict(id);
        }
      }
      boolean revoked = super.revokeSession(id, at);
      if (revoked) {
        evict(id);
      }
      return revoked;
    }

    @Override
    public synchronized int revokeAll(String subject, Instant at) {
      if (!evictOnRevokeAll) {
        return super.revokeAll(subject, at);
      }
      try {
        return super.revokeAll(subject, at);
      } finally {
        cache.clear();
      }
    }

    @Override
    public synchronized void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
      try {
        super.touch(id, lastUsedAt, expiresAt);
      } finally {
        evict(id);
      }
    }

    @Override
    public synchronized int purgeExpired(Instant now) {
      try {
        return super.purgeExpired(now);
      } finally {
        cache.clear();
      }
    }

    @Override
    public synchronized void close() {
      cache.clear();
      super.close();
    }
  }

  /**
   * A near cache over a backing store, the harness's faults between the two (as
   * {@link StoreHarness#withFaults} allows): a revoke evicts only when the backing store says it
   * revoked something. A revoke that landed but failed, retried, answers false and evicts nothing.
   */
  static final class CacheEvictsOnlyWhenRevokeReturnsTrue implements TokenStoreContract,
      TokenServiceContract, SessionRaceContract {
    @Override
    public TokenStore newStore(Clock clock) {
      MapStore backing = new MapStore();
      return new Caching(faults().wrap(backing), backing, true, true);
    }

    @Override
    public TokenStore withFaults(TokenStore store) {
      return store;
    }

    @Override
    public TokenStore reopen(TokenStore store) {
      store.close();
      MapStore backing = ((Caching) store).backing.copy();
      return new Caching(faults().wrap(backing), backing, true, true);
    }

    @Override
    public int raceTrials() {
      return Integer.getInteger("tokenkeeper.raceTrials", 300);
    }
  }

  // =============================================================================================
  // The tests

  private static TokenService service(TokenStore store, MutableClock clock) {
    return TokenService.builder().store(store).clock(clock)
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  private static MapStore reopen(MapStore store) {
    store.close();
    return store.copy();
  }

  /** Fails, naming the hole, if every contract test passes on {@code harness}. */
  private static void assertCaught(Class<?> harness, String hole) {
    Set<String> failed = ContractFailures.of(harness);
    assertFalse(failed.isEmpty(), "HOLE: " + harness.getSimpleName()
        + " passes every contract test: " + hole);
  }

  // ---- acknowledged writes kept across reopen ----------------------------------------------

  /**
   * HOLE: a token's own expiry, as create stored it, is never checked after a reopen. The
   * validation checks tokens for presence, session and rotation state only;
   * create_thenReopen_sessionAndTokensSurvive checks only the refresh token's (null) expiry and
   * rotate_movesTheChain... only a rotated-in access token. After a restart the first access
   * token of every pair works for the session's 7 days instead of 15 minutes.
   */
  @Test
  void createdAccessTokenLosesItsExpiryOnReopen_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new LosesCreatedTokenExpiry().store();
    IssuedPair pair = service(store, clock).issuePair("alice", null, CLIENT);
    MapStore reopened = reopen(store);
    clock.advance(Duration.ofHours(1));
    assertTrue(service(reopened, clock).authenticate(pair.access().plaintext()).isAuthenticated(),
        "the bug is real: a 15-minute access token still works an hour later");
    assertCaught(LosesCreatedTokenExpiry.class, "token expiresAt written by create is lost");
  }

  /**
   * HOLE: a session's client binding is checked after a reopen only as create wrote it
   * (create_labelNullUnicodeAndBinding_roundTrip); the validation compares subject and createdAt
   * only, and no binding test reopens after a rotation. A store whose rotate path rewrites the row
   * without the binding turns binding off for every refreshed session at the next restart.
   */
  @Test
  void bindingOfARotatedSessionLostOnReopen_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new LosesBindingOfRotatedSessions().store();
    TokenService bound = service(store, clock).toBuilder()
        .clientBinding(ClientBinding.Policy.exactAddress()).build();
    IssuedPair pair = bound.issuePair("alice", null, CLIENT);
    IssuedPair next = refreshed(bound.refresh(pair.refreshPlaintext(), CLIENT));
    MapStore reopened = reopen(store);
    TokenService boundAgain = service(reopened, clock).toBuilder()
        .clientBinding(ClientBinding.Policy.exactAddress()).build();
    assertTrue(boundAgain.refresh(next.refreshPlaintext(), ELSEWHERE).isRefreshed(),
        "the bug is real: a bound refresh token works from another address after a restart");
    assertCaught(LosesBindingOfRotatedSessions.class, "binding dropped by the rotate path");
  }

  /**
   * HOLE: the harness reopened only cleanly (close, then open), never after a crash, though the
   * TokenStore Javadoc promises create, rotate and revokes survive one. A write-behind store that
   * writes everything at close passed every contract test; a crash loses acknowledged logouts.
   * The crash test ({@link AcknowledgedStore#crash}) closes it.
   */
  @Test
  void writesOnlyOnClose_crashLosesAnAcknowledgedRevoke_isCaught() {
    WritesOnlyOnClose.Store store = (WritesOnlyOnClose.Store) new WritesOnlyOnClose().store();
    SessionRecord session = session("alice");
    createSingle(store, session);
    WritesOnlyOnClose.Store reopened = (WritesOnlyOnClose.Store) reopen(store);
    assertTrue(reopened.revokeSession(session.id(), T0.plusSeconds(1)));
    assertFalse(reopened.crashAndReopen().findSession(session.id()).orElseThrow().isRevoked(),
        "the bug is real: an acknowledged revoke is gone after a crash");
    assertCaught(WritesOnlyOnClose.class, "no crash axis: reopen is always a clean close");
  }

  /**
   * HOLE: a sealed pair is checked only on a session rotated once
   * (replaysWithinGrace..., refresh_whenTheRotationFails...); nothing retries a token whose
   * successor has itself been rotated, inside its window, and the validation never looks at
   * successors. A store that keeps one successor per session (the newest) answers that retry as
   * reuse and logs the user out.
   */
  @Test
  void laterRotationDropsAnEarlierSealedPairInsideItsWindow_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new LaterRotationDropsEarlierSuccessor().store();
    TokenService tokens = service(store, clock);
    IssuedPair first = tokens.issuePair("alice", null, CLIENT);
    IssuedPair second = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    refreshed(tokens.refresh(second.refreshPlaintext(), CLIENT));
    assertEquals(AuthResult.Reason.REUSED,
        rejected(tokens.refresh(first.refreshPlaintext(), CLIENT)),
        "the bug is real: a retry inside the grace window is taken for theft");
    assertCaught(LaterRotationDropsEarlierSuccessor.class,
        "an earlier tombstone's sealed pair dropped by a later rotation");
  }

  /**
   * HOLE: touch is checked for monotonic last use and expiry only with the two moving together;
   * the validation checks lastUsedAt but never expiresAt. A touch guarded by last use alone
   * ({@code WHERE last_used < ?}) lands a use that read the session before a refresh and moves the
   * refreshed session's expiry back (concurrentCreatesRevokesAndRotations does exactly this and
   * checks only the live count).
   */
  @Test
  void touchGuardedByLastUseOnly_movesARotationsExpiryBack_isCaught() {
    MapStore store = new TouchGuardedByLastUseOnly().store();
    SessionRecord session = createPair(store, "alice");
    assertTrue(store.rotate(rotation(session, T0.plusSeconds(2))));
    store.touch(session.id(), T0.plusSeconds(3), session.expiresAt());
    assertEquals(session.expiresAt(), store.findSession(session.id()).orElseThrow().expiresAt(),
        "the bug is real: the acknowledged rotation's extension is undone");
    assertCaught(TouchGuardedByLastUseOnly.class, "session expiry may move backwards");
  }

  // ---- purge -----------------------------------------------------------------------------------

  /**
   * HOLE: no test touches and then purges, and the validation excuses a missing session once any
   * purge ran at or after the expiry the session was created with, not its current one. A lazy-
   * touch store whose purge deletes by the stored (unflushed) expiry deletes live sessions that
   * slid with use; nothing notices.
   */
  @Test
  void purgeBeforeTouchesAreFlushed_deletesLiveSessions_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new PurgeBeforeTouchFlush().store();
    TokenService tokens = TokenService.builder().store(store).clock(clock)
        .absoluteTtl(Duration.ofHours(3)).idleTimeout(Duration.ofHours(1)).build();
    IssuedToken issued = tokens.issue("alice");
    clock.advance(Duration.ofMinutes(50));
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
    clock.advance(Duration.ofMinutes(20));
    tokens.purgeExpired();
    assertEquals(AuthResult.Reason.UNKNOWN, rejected(tokens.authenticate(issued.plaintext())),
        "the bug is real: a session live until +110 min was purged at +70 min");
    assertCaught(PurgeBeforeTouchFlush.class, "purge ignores touch-extended expiry");
  }

  /**
   * HOLE: purgeExpired_keepsRevokedSessionsAndTombstones... purges only one second after the
   * revoke. A store that drops revoked sessions after a retention period (here a minute), long
   * before they expire, loses acknowledged sessions and tombstones: a stolen token then reads
   * UNKNOWN instead of REVOKED/REUSED, and the session id may be created again.
   */
  @Test
  void revokedSessionPurgedBeforeItsExpiry_isCaught() {
    MapStore store = new PurgesRevokedAfterRetention().store();
    SessionRecord session = createPair(store, "alice");
    assertTrue(store.rotate(rotation(session, T0.plusSeconds(1))));
    assertTrue(store.revokeSession(session.id(), T0.plusSeconds(2)));
    store.purgeExpired(T0.plus(Duration.ofMinutes(5)));
    assertEquals(Optional.empty(), store.find(session.refreshHash()),
        "the bug is real: the tombstone of a session live for an hour more is gone");
    assertCaught(PurgesRevokedAfterRetention.class, "revoked sessions purged before expiry");
  }

  /**
   * HOLE: purgeExpired_atTheExactExpiry... checks only the refresh token survives a purge before
   * the session's expiry. A purge that also drops tokens past their own expiry (expired access
   * tokens) breaks "findable until its session is purged": an expired token reads UNKNOWN.
   */
  @Test
  void purgeDropsExpiredAccessTokensBeforeTheirSession_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new PurgesExpiredAccessTokens().store();
    TokenService tokens = service(store, clock);
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    clock.advance(Duration.ofMinutes(20));
    tokens.purgeExpired();
    assertEquals(AuthResult.Reason.UNKNOWN,
        rejected(tokens.authenticate(pair.access().plaintext())),
        "the bug is real: EXPIRED expected");
    assertCaught(PurgesExpiredAccessTokens.class, "tokens purged before their session");
  }

  // ---- acknowledged logout final ---------------------------------------------------------------

  /**
   * HOLE: nothing revokes a session already expired at the revoke's instant with revokeSession
   * (only revokeAll's a2 covers it). A store that skips it ("already over") answers the logout,
   * and a use checked just before the expiry that lands late extends the session: it is live and
   * was never revoked.
   */
  @Test
  void revokeSessionSkipsAnExpiredSession_aLateTouchRevivesIt_isCaught() {
    MapStore store = new RevokeSkipsExpiredSessions().store();
    SessionRecord session = session("alice");
    TokenRecord token = createSingle(store, session);
    Instant expiry = session.expiresAt();
    store.revokeSession(session.id(), expiry);
    store.touch(session.id(), expiry.minusSeconds(1), expiry.plus(Duration.ofHours(1)));
    assertTrue(store.find(token.hash()).orElseThrow().session().isLiveAt(expiry.plusSeconds(1)),
        "the bug is real: the session is live after its logout returned");
    assertCaught(RevokeSkipsExpiredSessions.class, "revokeSession of an expired session");
  }

  /**
   * HOLE: every revokeAll in the contracts runs at an instant at or after every session's
   * createdAt; no clock steps back or differs between nodes. A store that reads "every session
   * stored when the call begins" as {@code created_at <= at} misses sessions made by a clock
   * ahead of the one logging out.
   */
  @Test
  void revokeAllByCreationTime_missesASessionFromAClockAhead_isCaught() {
    MutableClock clock = new MutableClock(T0.plus(Duration.ofMinutes(10)));
    MapStore store = new RevokeAllByCreationTime().store();
    TokenService tokens = service(store, clock);
    IssuedToken laptop = tokens.issue("alice", "laptop");
    clock.set(T0.plus(Duration.ofMinutes(5)));
    tokens.revokeAll("alice");
    assertTrue(tokens.authenticate(laptop.plaintext()).isAuthenticated(),
        "the bug is real: a session stored before the logout-all survives it");
    assertCaught(RevokeAllByCreationTime.class, "revokeAll by timestamp, no clock skew tested");
  }

  /**
   * HOLE: only touch_fromManyThreads... touches before a logout and then reopens, and its logout
   * is revokeSession; no test touches, logs out everywhere, then reopens. A write-back touch
   * buffer that holds whole rows, reconciled with revokeSession but not revokeAll, writes the
   * pre-logout row back at close: logout everywhere is undone by a restart.
   */
  @Test
  void writeBackTouchUndoesRevokeAllOnReopen_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new WriteBackTouchUndoesRevokeAll().store();
    TokenService tokens = service(store, clock);
    IssuedToken issued = tokens.issue("alice");
    clock.advance(Duration.ofMinutes(1));
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
    assertEquals(1, tokens.revokeAll("alice"));
    MapStore reopened = reopen(store);
    assertTrue(service(reopened, clock).authenticate(issued.plaintext()).isAuthenticated(),
        "the bug is real: an acknowledged logout-everywhere is undone by a restart");
    assertCaught(WriteBackTouchUndoesRevokeAll.class, "touch write-back after revokeAll");
  }

  /**
   * HOLE: after a write that failed, the store is looked at only through a reopen (the fault ends
   * the test; the validation and the scripted tests reopen first). A near cache evicted only when
   * the backing store says it revoked something keeps serving a session whose revoke landed but
   * failed: the retry returns (false) and the logout, now acknowledged, is not final. (Faults sit
   * between cache and backing store, as StoreHarness#withFaults allows.)
   */
  @Test
  void cacheNotEvictedAfterAFailedRevokeThatLanded_isCaught() {
    MutableClock clock = new MutableClock(T0);
    FaultInjector faults = FaultInjector.scripted();
    MapStore backing = new MapStore();
    TokenService tokens = service(new Caching(faults.wrap(backing), backing, true, true), clock);
    IssuedToken issued = tokens.issue("alice");
    faults.failNext(Step.REVOKE_SESSION, When.AFTER);
    assertThrows(StoreUnavailableException.class, () -> tokens.revoke(issued.plaintext()));
    tokens.revoke(issued.plaintext());
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated(),
        "the bug is real: the session authenticates after the retried logout returned");
    assertCaught(CacheEvictsOnlyWhenRevokeReturnsTrue.class,
        "live view after a failed-then-retried revoke is never checked");
  }

  /**
   * HOLE: create_existingSessionOrTokenHash_isRefused... tries a duplicate session id only while
   * the session is live. A store that moves revoked sessions aside and checks only live ones for
   * a duplicate id accepts a repeated create and brings a revoked session back, with its tokens.
   */
  @Test
  void createOverARevokedSessionId_revivesIt_isCaught() {
    MapStore store = new CreateOverRevokedSession().store();
    SessionRecord session = session("alice");
    TokenRecord first = createSingle(store, session);
    assertTrue(store.revokeSession(session.id(), T0.plusSeconds(1)));
    store.create(session, List.of(token(session.id())));
    assertFalse(store.find(first.hash()).orElseThrow().session().isRevoked(),
        "the bug is real: a revoked session's token works again");
    assertCaught(CreateOverRevokedSession.class, "duplicate create of a revoked session id");
  }

  /**
   * HOLE: no two subjects in any contract differ only in case (or are otherwise equal under a
   * collation), so findSessions' and revokeAll's "that subject only" is checked against "bob"
   * only. With a case-insensitive index alice's logout-everywhere ends Alice's sessions, and
   * sessions("alice") lists them.
   */
  @Test
  void caseInsensitiveSubjects_revokeAllEndsAnotherUsersSessions_isCaught() {
    MutableClock clock = new MutableClock(T0);
    MapStore store = new CaseInsensitiveSubjects().store();
    TokenService tokens = service(store, clock);
    tokens.issue("alice");
    IssuedToken other = tokens.issue("Alice");
    tokens.revokeAll("alice");
    assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.authenticate(other.plaintext())),
        "the bug is real: alice's logout-everywhere ended Alice's session");
    assertCaught(CaseInsensitiveSubjects.class, "subjects equal under a collation");
  }

  // ---- Javadoc-only: broken contract, no visible harm (RefreshChain absorbs it) ----------------

  /**
   * HOLE (Javadoc only): "a rotation that lands after a revoke fails" is tested with the rotation
   * a second after the revoke only; the race tests run on a frozen clock, so there every rotation
   * shares the revoke's instant, but they only check the minted pairs are dead, which they are
   * (the session stays revoked).
   */
  @Test
  void rotationAtTheRevokesInstantLandsAfterIt_isCaught() {
    MapStore store = new SameInstantRotationAfterRevoke().store();
    SessionRecord session = createPair(store, "alice");
    assertTrue(store.revokeSession(session.id(), T0.plusSeconds(5)));
    assertTrue(store.rotate(rotation(session, T0.plusSeconds(5))),
        "the bug is real: a rotation after the revoke was applied");
    assertCaught(SameInstantRotationAfterRevoke.class, "rotate after revoke at the same instant");
  }

  /**
   * HOLE (Javadoc only): nothing checks find reads token and session "as of one moment"; a torn
   * read only makes RefreshChain look again (its extra attempts), so no contract test fails.
   */
  @Test
  @Disabled("the contract's one-moment find test catches this only when a rotation lands between"
      + " the two reads, which a loaded machine does not always produce: not a dependable catch")
  void findReadsTokenAndSessionAtTwoMoments_isCaught() {
    assertCaught(FindAtTwoMoments.class, "find's one-moment read is untested");
  }

  // ---- for comparison: broken stores the contracts do catch, every run ------------------------

  @Test
  void brokenStoresTheContractsCatch() {
    assertAll(
        () -> assertCaughtBy(TouchRevivesRevoked.class,
            "touch_revokedSession_staysRevokedAndUnchanged"),
        () -> assertCaughtBy(RevokeAllSkipsExpired.class,
            "revokeAll_revokesOnlyThatSubject_countsLiveOnes_andSurvivesReopen"),
        () -> assertCaughtBy(RevokeSparesSameInstantTokens.class,
            "issue_thenReopen_authenticates_andRevokeIsFinalAcrossReopen"),
        () -> assertCaughtBy(CasChecksTombstoneOnly.class,
            "rotate_staleExpectedCurrentOrUnknownSession_fails"),
        () -> assertCaughtBy(CreateUpserts.class,
            "create_existingSessionOrTokenHash_isRefused_andChangesNothing"),
        () -> assertCaughtBy(PurgesRevokedAtOnce.class,
            "purgeExpired_keepsRevokedSessionsAndTombstonesUntilTheSessionExpires"),
        () -> assertCaughtBy(PurgesByTokenExpiry.class,
            "purgeExpired_atTheExactExpiry_removesTheSessionWithAllItsTokens"),
        () -> assertCaughtBy(SuccessorLostOnReopen.class,
            "rotate_movesTheChain_keepsATombstoneWithTheSealedPair_andSurvivesReopen"),
        () -> assertCaughtBy(ReopenDropsLastWrite.class,
            "create_thenReopen_sessionAndTokensSurvive"),
        () -> assertCaughtBy(WriteBackTouchUndoesRotation.class,
            "refresh_whenTheRotationFailsAfterLanding_throwsTheTypedFailure_andARetryGetsIt"));
  }

  private static void assertCaughtBy(Class<?> harness, String test) {
    Set<String> failed = ContractFailures.of(harness);
    assertTrue(failed.contains(test), harness.getSimpleName() + ": " + failed);
  }
}
