package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A store under test, wrapped so that every call it acknowledges is written down as a fact that
 * must still hold after a clean reopen: a session created exists (unless a purge past its expiry
 * ran), a session revoked (or covered by a logout-all that began after it was created) is revoked
 * and one never revoked is not, every token added is findable with its session, a rotated token is
 * a tombstone, each session's current refresh token is the end of its one chain of rotations, a
 * touch's last use is kept, and the subject index lists each session of its subject. The facts are
 * independent of the order racing calls landed in, so concurrent tests are validated too.
 *
 * <p>A call that fails with anything but a caller error makes the store's state uncertain and its
 * validation is skipped; tests of injected faults check what they expect themselves.
 */
public final class AcknowledgedStore implements TokenStore {

  private final StoreHarness harness;
  private volatile TokenStore inner;
  private final AtomicLong sequence = new AtomicLong();

  private final Map<SessionId, SessionRecord> created = new ConcurrentHashMap<>();
  private final Map<SessionId, Long> createdAt = new ConcurrentHashMap<>();
  private final Map<TokenHash, SessionId> tokens = new ConcurrentHashMap<>();
  private final Set<SessionId> revoked = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<RevokeAll> revokeAlls = new ConcurrentLinkedQueue<>();
  private final Set<TokenHash> rotatedOut = ConcurrentHashMap.newKeySet();
  private final Map<TokenHash, SessionId> rotatedIn = new ConcurrentHashMap<>();
  private final Map<SessionId, Instant> touched = new ConcurrentHashMap<>();
  private volatile Instant purgedAt;
  private volatile boolean uncertain;
  private volatile boolean closedByTest;

  private record RevokeAll(String subject, long startedAt) {}

  AcknowledgedStore(StoreHarness harness, TokenStore inner) {
    this.harness = harness;
    this.inner = inner;
  }

  /** The store being tested, for tests that need its own API. */
  public TokenStore inner() {
    return inner;
  }

  /** Closes the store cleanly and opens it again on the same data (see {@link StoreHarness}). */
  public AcknowledgedStore reopen() {
    inner = harness.reopen(inner);
    closedByTest = false;
    return this;
  }

  @Override
  public void create(SessionRecord session, List<TokenRecord> newTokens) {
    record(() -> {
      inner.create(session, newTokens);
      return null;
    });
    created.put(session.id(), session);
    createdAt.put(session.id(), sequence.incrementAndGet());
    newTokens.forEach(t -> tokens.put(t.hash(), t.sessionId()));
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    return record(() -> inner.find(hash));
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    return record(() -> inner.findSession(id));
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    return record(() -> inner.findSessions(subject));
  }

  @Override
  public boolean rotate(Rotation rotation) {
    boolean applied = record(() -> inner.rotate(rotation));
    if (applied) {
      rotatedOut.add(rotation.rotated());
      rotatedIn.put(rotation.refresh().hash(), rotation.sessionId());
      rotation.added().forEach(t -> tokens.put(t.hash(), t.sessionId()));
    }
    return applied;
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    boolean done = record(() -> inner.revokeSession(id, at));
    if (done) {
      revoked.add(id);
    }
    return done;
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    long started = sequence.incrementAndGet();
    int count = record(() -> inner.revokeAll(subject, at));
    revokeAlls.add(new RevokeAll(subject, started));
    return count;
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    record(() -> {
      inner.touch(id, lastUsedAt, expiresAt);
      return null;
    });
    touched.merge(id, lastUsedAt, (a, b) -> a.isAfter(b) ? a : b);
  }

  @Override
  public int purgeExpired(Instant now) {
    int count = record(() -> inner.purgeExpired(now));
    purgedAt = purgedAt == null || now.isAfter(purgedAt) ? now : purgedAt;
    return count;
  }

  @Override
  public void close() {
    closedByTest = true;
    record(() -> {
      inner.close();
      return null;
    });
  }

  private <T> T record(Supplier<T> call) {
    try {
      return call.get();
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw e;
    } catch (RuntimeException | Error e) {
      uncertain = true;
      throw e;
    }
  }

  /** Reopens the store and checks every fact; see the class comment. */
  void validate() {
    if (uncertain) {
      return;
    }
    TokenStore fresh = harness.reopen(inner);
    if (fresh == inner && closedByTest) {
      return; // a memory-only store the test closed: nothing is left to look at
    }
    try {
      check(fresh);
    } finally {
      fresh.close();
    }
  }

  private void check(TokenStore fresh) {
    Map<SessionId, SessionRecord> present = new HashMap<>();
    for (SessionRecord first : created.values()) {
      Optional<SessionRecord> found = fresh.findSession(first.id());
      if (found.isEmpty()) {
        assertTrue(purgedAt != null && !purgedAt.isBefore(first.expiresAt()),
            "acknowledged session " + first.id() + " was lost");
        continue;
      }
      SessionRecord now = found.get();
      present.put(now.id(), now);
      assertEquals(first.subject(), now.subject(), "subject of " + now.id());
      assertEquals(first.session().createdAt(), now.session().createdAt());
      if (mustBeRevoked(first)) {
        assertTrue(now.isRevoked(), "acknowledged revoke of " + now.id() + " was undone");
      } else if (!mayBeRevoked(first)) {
        assertFalse(now.isRevoked(), "session " + now.id() + " was revoked by nobody");
        Instant used = touched.get(now.id());
        if (used != null) {
          assertFalse(now.session().lastUsedAt().isBefore(used),
              "touch of " + now.id() + " at " + used + " was lost after a clean close");
        }
      }
    }
    for (Map.Entry<TokenHash, SessionId> token : tokens.entrySet()) {
      if (!present.containsKey(token.getValue())) {
        continue;
      }
      Optional<TokenEntry> found = fresh.find(token.getKey());
      assertTrue(found.isPresent(), "acknowledged token " + token.getKey() + " was lost");
      assertEquals(token.getValue(), found.get().token().sessionId());
      assertEquals(rotatedOut.contains(token.getKey()), found.get().token().isRotated(),
          "rotation state of " + token.getKey());
    }
    Map<SessionId, TokenHash> chainEnds = new HashMap<>();
    for (Map.Entry<TokenHash, SessionId> in : rotatedIn.entrySet()) {
      if (!rotatedOut.contains(in.getKey())
          && chainEnds.put(in.getValue(), in.getKey()) != null) {
        fail("session " + in.getValue() + " has two live refresh chains");
      }
    }
    chainEnds.forEach((id, end) -> {
      if (present.containsKey(id)) {
        assertEquals(end, present.get(id).refreshHash(), "current refresh token of " + id);
      }
    });
    Map<String, Set<SessionId>> bySubject = new HashMap<>();
    present.values().forEach(
        s -> bySubject.computeIfAbsent(s.subject(), k -> new HashSet<>()).add(s.id()));
    bySubject.forEach((subject, ids) -> {
      Set<SessionId> listed = new HashSet<>();
      for (SessionRecord s : fresh.findSessions(subject)) {
        assertEquals(subject, s.subject(), "index of " + subject + " lists another subject");
        assertTrue(listed.add(s.id()), "index of " + subject + " lists " + s.id() + " twice");
      }
      assertTrue(listed.containsAll(ids), "index of " + subject + " misses sessions");
    });
  }

  private boolean mustBeRevoked(SessionRecord session) {
    long born = createdAt.get(session.id());
    return revoked.contains(session.id()) || revokeAlls.stream()
        .anyMatch(all -> all.subject().equals(session.subject()) && all.startedAt() > born);
  }

  private boolean mayBeRevoked(SessionRecord session) {
    return session.isRevoked() || mustBeRevoked(session)
        || revokeAlls.stream().anyMatch(all -> all.subject().equals(session.subject()));
  }
}
