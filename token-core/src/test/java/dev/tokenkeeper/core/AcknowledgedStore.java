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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * A store under test, wrapped so that every call it acknowledges is written down as a fact that
 * must still hold after a clean reopen: a session created exists (unless a purge past its expiry
 * ran), a session revoked (or covered by a logout-all that began after it was created) is revoked
 * and one never revoked is not, every token added is findable with its session, a rotated token is
 * a tombstone, each session's current refresh token is the end of its one chain of rotations, a
 * touch's last use is kept, and the subject index lists each session of its subject. The facts are
 * independent of the order racing calls landed in, so concurrent tests are validated too.
 *
 * <p>A call that fails with {@link StoreUnavailableException} acknowledged nothing: it may have
 * landed or not, and either is accepted, but whole. A session it created is there with all its
 * tokens or not at all, a rotation it made has all its tokens and moved the chain or left no
 * trace, its revoke may or may not have happened, and a purge may have run. What was acknowledged
 * before or after stays as strict as ever: a failed rotation never leaves two live successors, an
 * acknowledged revoke is never undone. A call that fails with anything else (but a caller error)
 * makes the store's state uncertain, and its validation is skipped.
 *
 * <p>Calls made through another instance on the same backend ({@link #instance}) are recorded
 * here too, so the facts hold whichever instance acknowledged them. A {@link #crash} checks the
 * same facts at once on the store reopened after it, but the
 * touches made before it, which a crash may lose.
 *
 * <p>Calls pass through the harness's fault injector ({@link StoreHarness#withFaults}); the
 * validation reads the store itself.
 */
public final class AcknowledgedStore implements TokenStore {

  private final StoreHarness harness;
  private volatile TokenStore inner;
  /** {@link #inner} as calls reach it: behind the harness's fault injector. */
  private volatile TokenStore calls;
  private final AtomicLong sequence = new AtomicLong();
  /** Other instances on the same backend ({@link #instance}); closed before the validation. */
  private final List<TokenStore> instances = new CopyOnWriteArrayList<>();
  /** The instance the current thread's call is for, while it is one of {@link #instances}. */
  private final ThreadLocal<TokenStore> routed = new ThreadLocal<>();

  private final Map<SessionId, SessionRecord> created = new ConcurrentHashMap<>();
  private final Map<SessionId, Long> createdAt = new ConcurrentHashMap<>();
  private final Map<TokenHash, SessionId> tokens = new ConcurrentHashMap<>();
  /** Every token as create or a rotation acknowledged it: its own expiry must survive. */
  private final Map<TokenHash, TokenRecord> records = new ConcurrentHashMap<>();
  /** Acknowledged rotations, for the sealed pairs their tombstones must keep. */
  private final ConcurrentLinkedQueue<Rotation> rotations = new ConcurrentLinkedQueue<>();
  /** Acknowledged extensions of a session's expiry (touch, rotation), in sequence. */
  private final ConcurrentLinkedQueue<Extension> extensions = new ConcurrentLinkedQueue<>();
  /** Purges, acknowledged or not, with the sequence at which each began. */
  private final ConcurrentLinkedQueue<Purge> purges = new ConcurrentLinkedQueue<>();
  private final Set<SessionId> revoked = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<RevokeAll> revokeAlls = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<RevokeAll> maybeRevokeAlls = new ConcurrentLinkedQueue<>();
  private final Set<TokenHash> rotatedOut = ConcurrentHashMap.newKeySet();
  private final Map<TokenHash, SessionId> rotatedIn = new ConcurrentHashMap<>();
  private final Map<SessionId, Instant> touched = new ConcurrentHashMap<>();
  private final Map<SessionId, SessionRecord> maybeCreated = new ConcurrentHashMap<>();
  private final Map<TokenHash, SessionId> maybeTokens = new ConcurrentHashMap<>();
  private final Set<SessionId> maybeRevoked = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Rotation> maybeRotations = new ConcurrentLinkedQueue<>();
  private volatile Instant purgedAt;
  private volatile boolean uncertain;
  private volatile boolean closedByTest;

  private record RevokeAll(String subject, long startedAt) {}

  private record Extension(SessionId id, Instant expiresAt, long acknowledgedAt, boolean touch) {}

  private record Purge(Instant now, long startedAt) {}

  AcknowledgedStore(StoreHarness harness, TokenStore inner) {
    this.harness = harness;
    this.inner = inner;
    this.calls = harness.withFaults(inner);
  }

  /** The store being tested, for tests that need its own API. */
  public TokenStore inner() {
    return inner;
  }

  /**
   * {@code other}, a second instance on this store's backend (another process's client of the
   * same server), with every call made through it recorded here beside this store's: what either
   * acknowledges must hold on both, and the validation closes it before it reopens this store.
   */
  public TokenStore instance(TokenStore other) {
    TokenStore instance = new Instance(other);
    instances.add(instance);
    return instance;
  }

  /** Where a call goes: this store, or the other instance it was made through. */
  private TokenStore target() {
    TokenStore other = routed.get();
    return other != null ? other : calls;
  }

  /** Closes the store cleanly and opens it again on the same data (see {@link StoreHarness}). */
  public AcknowledgedStore reopen() {
    inner = harness.reopen(inner);
    calls = harness.withFaults(inner);
    closedByTest = false;
    return this;
  }

  /**
   * Abandons the store as a process that died would, without closing it, and opens it again on
   * the same data ({@link StoreHarness#reopenAfterCrash}); then checks at once, as the validation
   * does after a clean reopen, that everything acknowledged is there. Only touches are spared:
   * they are lazy by contract, and a crash may lose those not yet written. Calls go on to the
   * reopened store. Aborts the test (an assumption) if this store kind cannot be reopened so.
   */
  public AcknowledgedStore crash() {
    TokenStore crashed = harness.reopenAfterCrash(inner);
    Assumptions.assumeTrue(crashed != null, "this store kind cannot be reopened after a crash");
    inner = crashed;
    calls = harness.withFaults(crashed);
    closedByTest = false;
    touched.clear();
    extensions.removeIf(Extension::touch);
    if (!uncertain) {
      try {
        check(crashed);
      } catch (AssertionError e) {
        throw new AssertionError("after a crash: " + e.getMessage(), e);
      }
    }
    return this;
  }

  @Override
  public void create(SessionRecord session, List<TokenRecord> newTokens) {
    record(() -> {
      target().create(session, newTokens);
      return null;
    }, () -> {
      maybeCreated.put(session.id(), session);
      createdAt.put(session.id(), sequence.incrementAndGet());
      newTokens.forEach(t -> maybeTokens.put(t.hash(), t.sessionId()));
    });
    created.put(session.id(), session);
    createdAt.put(session.id(), sequence.incrementAndGet());
    newTokens.forEach(t -> tokens.put(t.hash(), t.sessionId()));
    newTokens.forEach(t -> records.put(t.hash(), t));
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    return record(() -> target().find(hash), () -> {});
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    return record(() -> target().findSession(id), () -> {});
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    return record(() -> target().findSessions(subject), () -> {});
  }

  @Override
  public boolean rotate(Rotation rotation) {
    boolean applied = record(() -> target().rotate(rotation), () -> maybeRotations.add(rotation));
    if (applied) {
      rotatedOut.add(rotation.rotated());
      rotatedIn.put(rotation.refresh().hash(), rotation.sessionId());
      rotation.added().forEach(t -> tokens.put(t.hash(), t.sessionId()));
      rotation.added().forEach(t -> records.put(t.hash(), t));
      rotations.add(rotation);
      extensions.add(new Extension(
          rotation.sessionId(), rotation.expiresAt(), sequence.incrementAndGet(), false));
    }
    return applied;
  }

  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    boolean done = record(() -> target().revokeSession(id, at), () -> maybeRevoked.add(id));
    if (done) {
      revoked.add(id);
    }
    return done;
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    long started = sequence.incrementAndGet();
    RevokeAll all = new RevokeAll(subject, started);
    int count = record(() -> target().revokeAll(subject, at), () -> maybeRevokeAlls.add(all));
    revokeAlls.add(all);
    return count;
  }

  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    record(() -> {
      target().touch(id, lastUsedAt, expiresAt);
      return null;
    }, () -> {});
    touched.merge(id, lastUsedAt, (a, b) -> a.isAfter(b) ? a : b);
    extensions.add(new Extension(id, expiresAt, sequence.incrementAndGet(), true));
  }

  @Override
  public int purgeExpired(Instant now) {
    purges.add(new Purge(now, sequence.incrementAndGet()));
    int count = record(() -> target().purgeExpired(now), () -> purged(now));
    purged(now);
    return count;
  }

  @Override
  public void close() {
    closedByTest = true;
    record(() -> {
      calls.close();
      return null;
    }, () -> {});
  }

  private synchronized void purged(Instant now) {
    purgedAt = purgedAt == null || now.isAfter(purgedAt) ? now : purgedAt;
  }

  /** Makes {@code call}; if the store failed it, {@code failed} notes what it may have done. */
  private <T> T record(Supplier<T> call, Runnable failed) {
    try {
      return call.get();
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw e;
    } catch (StoreUnavailableException e) {
      failed.run();
      throw e;
    } catch (RuntimeException | Error e) {
      uncertain = true;
      throw e;
    }
  }

  /** Reopens the store and checks every fact; see the class comment. */
  void validate() {
    instances.forEach(TokenStore::close);
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
    Map<TokenHash, SessionId> expected = new HashMap<>(tokens);
    for (SessionRecord first : maybeCreated.values()) {
      Optional<SessionRecord> found = fresh.findSession(first.id());
      if (found.isPresent()) {
        checkSession(first, found.get());
        present.put(first.id(), found.get());
      }
      // It landed whole, every token it came with, or left no trace.
      maybeTokens.forEach((hash, id) -> {
        if (id.equals(first.id()) && found.isPresent()) {
          expected.put(hash, id);
        } else if (id.equals(first.id())) {
          assertTrue(fresh.find(hash).isEmpty(), "failed create of " + id + " landed in part");
        }
      });
    }
    for (SessionRecord first : created.values()) {
      Optional<SessionRecord> found = fresh.findSession(first.id());
      if (found.isEmpty()) {
        assertTrue(purgedPast(first),
            "acknowledged session " + first.id() + " was lost (no purge ran past its expiry)");
        continue;
      }
      checkSession(first, found.get());
      present.put(first.id(), found.get());
    }
    Set<TokenHash> out = new HashSet<>(rotatedOut);
    Map<TokenHash, SessionId> in = new HashMap<>(rotatedIn);
    for (Rotation rotation : maybeRotations) {
      if (!present.containsKey(rotation.sessionId())) {
        continue;
      }
      boolean landed = fresh.find(rotation.refresh().hash()).isPresent();
      for (TokenRecord added : rotation.added()) {
        assertEquals(landed, fresh.find(added.hash()).isPresent(),
            "failed rotation of " + rotation.sessionId() + " landed in part");
      }
      if (landed) {
        out.add(rotation.rotated());
        in.put(rotation.refresh().hash(), rotation.sessionId());
        rotation.added().forEach(t -> expected.put(t.hash(), t.sessionId()));
      }
    }
    for (Map.Entry<TokenHash, SessionId> token : expected.entrySet()) {
      if (!present.containsKey(token.getValue())) {
        continue;
      }
      Optional<TokenEntry> found = fresh.find(token.getKey());
      assertTrue(found.isPresent(), "acknowledged token " + token.getKey() + " was lost");
      assertEquals(token.getValue(), found.get().token().sessionId());
      assertEquals(out.contains(token.getKey()), found.get().token().isRotated(),
          "rotation state of " + token.getKey());
      TokenRecord written = records.get(token.getKey());
      if (written != null) {
        assertEquals(written.expiresAt(), found.get().token().expiresAt(),
            "own expiry of acknowledged token " + token.getKey());
      }
    }
    checkSealedPairs(fresh, present);
    Map<SessionId, TokenHash> chainEnds = new HashMap<>();
    for (Map.Entry<TokenHash, SessionId> successor : in.entrySet()) {
      if (!out.contains(successor.getKey())
          && chainEnds.put(successor.getValue(), successor.getKey()) != null) {
        fail("session " + successor.getValue() + " has two live refresh chains");
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

  /** {@code now}, as reopened, against {@code first}, as created. */
  private void checkSession(SessionRecord first, SessionRecord now) {
    assertEquals(first.subject(), now.subject(), "subject of " + now.id());
    assertEquals(first.session().createdAt(), now.session().createdAt());
    assertEquals(first.binding(), now.binding(), "client binding of " + now.id());
    Instant floor = expiryFloor(first, Long.MAX_VALUE);
    assertFalse(now.expiresAt().isBefore(floor), "expiry of " + now.id() + " moved back from "
        + floor + " (the latest acknowledged) to " + now.expiresAt());
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

  /**
   * The expiry {@code first} had at least, by what was acknowledged before {@code before}: as
   * created, or moved on by a rotation or (unless a revoke may have stopped it) a touch.
   */
  private Instant expiryFloor(SessionRecord first, long before) {
    boolean touchesCount = !mayBeRevoked(first);
    Instant floor = first.expiresAt();
    for (Extension e : extensions) {
      if (e.id().equals(first.id()) && e.acknowledgedAt() < before
          && (touchesCount || !e.touch()) && e.expiresAt().isAfter(floor)) {
        floor = e.expiresAt();
      }
    }
    return floor;
  }

  /** Whether some purge, begun after what extended {@code first}, ran past its expiry. */
  private boolean purgedPast(SessionRecord first) {
    return purges.stream()
        .anyMatch(p -> !p.now().isBefore(expiryFloor(first, p.startedAt())));
  }

  /**
   * Each acknowledged rotation's tombstone still holds its sealed pair while its window is open:
   * until no rotation of the session, purge or the test's clock has reached its end.
   */
  private void checkSealedPairs(TokenStore fresh, Map<SessionId, SessionRecord> present) {
    if (!Boolean.parseBoolean(System.getProperty("tokenkeeper.validate.sealedPairs", "true"))) {
      return; // switch: -Dtokenkeeper.validate.sealedPairs=false skips this one check
    }
    Instant now = harness.clock().instant();
    for (Rotation rotation : rotations) {
      SealedSuccessor sealed = rotation.successor();
      if (sealed == null || !present.containsKey(rotation.sessionId())
          || !now.isBefore(sealed.until())
          || (purgedAt != null && !purgedAt.isBefore(sealed.until()))
          || rotations.stream().anyMatch(r -> r.sessionId().equals(rotation.sessionId())
              && !r.at().isBefore(sealed.until()))
          || maybeRotations.stream().anyMatch(r -> r.sessionId().equals(rotation.sessionId())
              && !r.at().isBefore(sealed.until()))) {
        continue;
      }
      Optional<TokenEntry> tombstone = fresh.find(rotation.rotated());
      assertTrue(tombstone.isPresent(), "tombstone " + rotation.rotated() + " was lost");
      assertEquals(sealed, tombstone.get().token().successor(),
          "sealed pair of " + rotation.rotated() + " inside its window");
    }
  }

  private boolean mustBeRevoked(SessionRecord session) {
    long born = createdAt.get(session.id());
    return revoked.contains(session.id()) || revokeAlls.stream()
        .anyMatch(all -> all.subject().equals(session.subject()) && all.startedAt() > born);
  }

  private boolean mayBeRevoked(SessionRecord session) {
    return session.isRevoked() || mustBeRevoked(session) || maybeRevoked.contains(session.id())
        || revokeAlls.stream().anyMatch(all -> all.subject().equals(session.subject()))
        || maybeRevokeAlls.stream().anyMatch(all -> all.subject().equals(session.subject()));
  }

  /**
   * Another instance's calls, recorded by this store: each runs this store's own method with the
   * instance as its target, on the calling thread.
   */
  private final class Instance extends SteppedStore {
    private final TokenStore inner;
    private final TokenStore calls;

    Instance(TokenStore inner) {
      super(AcknowledgedStore.this);
      this.inner = inner;
      this.calls = harness.withFaults(inner);
    }

    @Override
    protected <T> T around(FaultInjector.Step step, Supplier<T> call) {
      routed.set(calls);
      try {
        return call.get();
      } finally {
        routed.remove();
      }
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}
