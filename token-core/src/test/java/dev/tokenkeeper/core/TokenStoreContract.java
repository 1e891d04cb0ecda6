package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The executable {@link TokenStore} contract at the SPI: every store implements this interface in
 * its test (with {@link StoreHarness}'s axes) and so runs every test here; it adds only what is
 * its own (reopening after a crash, torn tails, reconnects). {@link TokenServiceContract} and
 * {@link SessionRaceContract} run the service's promises over the same store.
 */
public interface TokenStoreContract extends StoreHarness {

  SecureRandom RANDOM = new SecureRandom();

  /** A session of {@code subject} created at {@link #T0}, ending {@code ttl} later. */
  static SessionRecord session(String subject, Duration ttl) {
    Session session = new Session(
        SessionId.random(RANDOM), subject, "device", T0, T0, T0.plus(ttl));
    return SessionRecord.of(session, null, null);
  }

  static SessionRecord session(String subject) {
    return session(subject, Duration.ofHours(1));
  }

  /** A pair session: its record names {@code refresh} as current. */
  static SessionRecord pairSession(String subject, TokenRecord refresh) {
    Session session = new Session(refresh.sessionId(), subject, "device", T0, T0,
        T0.plus(Duration.ofHours(1)));
    return SessionRecord.of(session, null, refresh.hash());
  }

  static TokenRecord token(SessionId id) {
    return TokenRecord.of(randomHash(), id);
  }

  static TokenHash randomHash() {
    byte[] digest = new byte[TokenHash.SHA256_LENGTH];
    RANDOM.nextBytes(digest);
    return TokenHash.of(TokenHash.SHA256, digest);
  }

  /** A rotation of {@code session}'s current refresh token at {@code at}, sealed till +10 s. */
  static Rotation rotation(SessionRecord session, Instant at) {
    SessionId id = session.id();
    SealedSuccessor sealed = SealedSuccessor.seal("tkr_stand-in-for-the-old-secret", id,
        session.refreshHash(), new SealedSuccessor.Pair("a", "r", at, at, at),
        at.plusSeconds(10), RANDOM);
    return new Rotation(id, session.refreshHash(), session.refreshHash(), at, sealed,
        token(id), TokenRecord.expiring(randomHash(), id, at.plusSeconds(60)),
        session.expiresAt().plusSeconds(60));
  }

  /** Creates a single-token session; returns its token. */
  static TokenRecord createSingle(TokenStore store, SessionRecord session) {
    TokenRecord token = token(session.id());
    store.create(session, List.of(token));
    return token;
  }

  /** Creates a pair session (refresh + access); returns its record. */
  static SessionRecord createPair(TokenStore store, String subject) {
    SessionId id = SessionId.random(RANDOM);
    TokenRecord refresh = token(id);
    SessionRecord session = pairSession(subject, refresh);
    store.create(session, List.of(refresh,
        TokenRecord.expiring(randomHash(), id, T0.plus(Duration.ofMinutes(15)))));
    return session;
  }

  @ContractTest
  default void create_thenFind_returnsTheTokenWithItsSession() {
    try (TokenStore store = open()) {
      SessionRecord session = session("alice");
      TokenRecord token = createSingle(store, session);
      assertEquals(Optional.of(new TokenEntry(token, session)), store.find(token.hash()));
      assertEquals(Optional.of(session), store.findSession(session.id()));
    }
  }

  @ContractTest(underFaults = true)
  default void create_thenReopen_sessionAndTokensSurvive() {
    AcknowledgedStore store = open();
    SessionRecord session = createPair(store, "alice");
    try (TokenStore reopened = store.reopen()) {
      assertEquals(Optional.of(session), reopened.findSession(session.id()));
      TokenEntry refresh = reopened.find(session.refreshHash()).orElseThrow();
      assertEquals(session, refresh.session());
      assertNull(refresh.token().expiresAt());
    }
  }

  @ContractTest
  default void create_labelNullUnicodeAndBinding_roundTrip() {
    AcknowledgedStore store = open();
    Session plain = new Session(SessionId.random(RANDOM), "élodie@例え.jp", null, T0, T0,
        T0.plus(Duration.ofHours(1)));
    SessionRecord unlabelled = SessionRecord.of(plain, null, null);
    Session labelled = new Session(SessionId.random(RANDOM), "bob", "Safari 🦊 on iPhone", T0,
        T0, T0.plus(Duration.ofHours(1)));
    SessionRecord bound = SessionRecord.of(labelled,
        new ClientBinding("203.0.113.0/24", "0123456789abcdef0123456789abcdef"), null);
    createSingle(store, unlabelled);
    createSingle(store, bound);
    try (TokenStore reopened = store.reopen()) {
      assertEquals(Optional.of(unlabelled), reopened.findSession(unlabelled.id()));
      assertEquals(Optional.of(bound), reopened.findSession(bound.id()));
    }
  }

  @ContractTest
  default void create_existingSessionOrTokenHash_isRefused_andChangesNothing() {
    try (TokenStore store = open()) {
      SessionRecord session = session("alice");
      TokenRecord token = createSingle(store, session);
      assertThrows(IllegalArgumentException.class,
          () -> store.create(session, List.of(token(session.id()))));
      SessionRecord other = session("alice");
      assertThrows(IllegalArgumentException.class,
          () -> store.create(other, List.of(new TokenRecord(token.hash(), other.id(), null,
              null, null))));
      assertEquals(Optional.empty(), store.findSession(other.id()));
      assertEquals(session.id(), store.find(token.hash()).orElseThrow().session().id());
    }
  }

  @ContractTest
  default void find_unknownHashOrSession_isEmpty() {
    try (TokenStore store = open()) {
      assertEquals(Optional.empty(), store.find(TokenHash.sha256("never issued")));
      assertEquals(Optional.empty(), store.findSession(SessionId.random(RANDOM)));
      assertEquals(List.of(), store.findSessions("nobody"));
    }
  }

  @ContractTest
  default void findSessions_returnsEverySessionOfThatSubjectOnly() {
    try (TokenStore store = open()) {
      SessionRecord a1 = session("alice");
      SessionRecord a2 = session("alice");
      createSingle(store, a1);
      createPair(store, "bob");
      createSingle(store, a2);
      store.revokeSession(a2.id(), T0.plusSeconds(1));
      Set<SessionId> ids = store.findSessions("alice").stream().map(SessionRecord::id)
          .collect(Collectors.toSet());
      assertEquals(Set.of(a1.id(), a2.id()), ids);
    }
  }

  @ContractTest(underFaults = true)
  default void revokeSession_endsEveryTokenOfIt_keepsTheFirstInstant_andSurvivesReopen() {
    AcknowledgedStore store = open();
    SessionRecord session = createPair(store, "alice");
    assertTrue(store.revokeSession(session.id(), T0.plusSeconds(5)));
    assertFalse(store.revokeSession(session.id(), T0.plusSeconds(9)));
    assertFalse(store.revokeSession(SessionId.random(RANDOM), T0));
    try (TokenStore reopened = store.reopen()) {
      SessionRecord found = reopened.findSession(session.id()).orElseThrow();
      assertEquals(T0.plusSeconds(5), found.revokedAt());
      assertTrue(reopened.find(session.refreshHash()).orElseThrow().session().isRevoked());
    }
  }

  @ContractTest(underFaults = true)
  default void revokeAll_revokesOnlyThatSubject_countsLiveOnes_andSurvivesReopen() {
    AcknowledgedStore store = open();
    SessionRecord a1 = session("alice");
    SessionRecord a2 = session("alice", Duration.ofSeconds(10));
    SessionRecord bob = session("bob");
    TokenRecord t1 = createSingle(store, a1);
    createSingle(store, a2);
    TokenRecord tb = createSingle(store, bob);
    // a2 has expired at the instant of the logout: revoked, but not counted as a live session.
    assertEquals(1, store.revokeAll("alice", T0.plusSeconds(10)));
    assertEquals(0, store.revokeAll("alice", T0.plusSeconds(11)));
    assertEquals(0, store.revokeAll("nobody", T0));
    try (TokenStore reopened = store.reopen()) {
      assertTrue(reopened.find(t1.hash()).orElseThrow().session().isRevoked());
      assertTrue(reopened.findSession(a2.id()).orElseThrow().isRevoked());
      assertFalse(reopened.find(tb.hash()).orElseThrow().session().isRevoked());
    }
  }

  @ContractTest(underFaults = true)
  default void rotate_movesTheChain_keepsATombstoneWithTheSealedPair_andSurvivesReopen() {
    AcknowledgedStore store = open();
    SessionRecord session = createPair(store, "alice");
    Rotation rotation = rotation(session, T0.plusSeconds(30));
    assertTrue(store.rotate(rotation));
    try (TokenStore reopened = store.reopen()) {
      SessionRecord after = reopened.findSession(session.id()).orElseThrow();
      assertEquals(rotation.refresh().hash(), after.refreshHash());
      assertEquals(T0.plusSeconds(30), after.session().lastUsedAt());
      assertEquals(rotation.expiresAt(), after.expiresAt());
      TokenRecord tombstone = reopened.find(session.refreshHash()).orElseThrow().token();
      assertEquals(T0.plusSeconds(30), tombstone.rotatedAt());
      assertArrayEquals(rotation.successor().bytes(), tombstone.successor().bytes());
      assertEquals(rotation.successor().until(), tombstone.successor().until());
      assertEquals(rotation.access(), reopened.find(rotation.access().hash()).orElseThrow()
          .token());
    }
  }

  @ContractTest
  default void rotate_sameTokenTwice_secondFails_andStoresNothing() {
    try (TokenStore store = open()) {
      SessionRecord session = createPair(store, "alice");
      assertTrue(store.rotate(rotation(session, T0.plusSeconds(1))));
      Rotation late = rotation(session, T0.plusSeconds(2));
      assertFalse(store.rotate(late));
      assertEquals(Optional.empty(), store.find(late.refresh().hash()));
      assertEquals(Optional.empty(), store.find(late.access().hash()));
    }
  }

  @ContractTest
  default void rotate_revokedSession_fails_andTheSessionStaysRevoked() {
    try (TokenStore store = open()) {
      SessionRecord session = createPair(store, "alice");
      store.revokeSession(session.id(), T0.plusSeconds(1));
      Rotation rotation = rotation(session, T0.plusSeconds(2));
      assertFalse(store.rotate(rotation));
      assertEquals(Optional.empty(), store.find(rotation.refresh().hash()));
      SessionRecord after = store.findSession(session.id()).orElseThrow();
      assertTrue(after.isRevoked());
      assertEquals(session.refreshHash(), after.refreshHash());
      assertFalse(store.find(session.refreshHash()).orElseThrow().token().isRotated());
    }
  }

  @ContractTest
  default void rotate_staleExpectedCurrentOrUnknownSession_fails() {
    try (TokenStore store = open()) {
      SessionRecord session = createPair(store, "alice");
      Rotation fine = rotation(session, T0.plusSeconds(1));
      Rotation stale = new Rotation(session.id(), randomHash(), session.refreshHash(),
          fine.at(), fine.successor(), fine.refresh(), fine.access(), fine.expiresAt());
      assertFalse(store.rotate(stale));
      assertFalse(store.rotate(rotation(pairSession("alice", token(SessionId.random(RANDOM))),
          T0.plusSeconds(1))));
      assertTrue(store.rotate(fine));
    }
  }

  @ContractTest
  default void touch_movesLastUseAndExpiryForwardOnly_andSurvivesReopen() {
    AcknowledgedStore store = open();
    SessionRecord session = session("alice");
    createSingle(store, session);
    Instant later = session.expiresAt().plusSeconds(600);
    store.touch(session.id(), T0.plusSeconds(60), later);
    store.touch(session.id(), T0.plusSeconds(30), session.expiresAt());
    store.touch(SessionId.random(RANDOM), T0, T0.plusSeconds(1));
    try (TokenStore reopened = store.reopen()) {
      SessionRecord found = reopened.findSession(session.id()).orElseThrow();
      assertEquals(T0.plusSeconds(60), found.session().lastUsedAt());
      assertEquals(later, found.expiresAt());
    }
  }

  @ContractTest
  default void touch_revokedSession_staysRevokedAndUnchanged() {
    try (TokenStore store = open()) {
      SessionRecord session = session("alice");
      createSingle(store, session);
      store.revokeSession(session.id(), T0.plusSeconds(1));
      store.touch(session.id(), T0.plusSeconds(2), T0.plus(Duration.ofDays(1)));
      assertEquals(session.revokedAt(T0.plusSeconds(1)),
          store.findSession(session.id()).orElseThrow());
    }
  }

  @ContractTest
  default void touch_fromManyThreadsInAnyOrder_endsAtTheLatest_andARacingRevokeWins()
      throws Exception {
    AcknowledgedStore store = open();
    SessionRecord touched = session("alice");
    SessionRecord revoked = session("alice");
    createSingle(store, touched);
    createSingle(store, revoked);
    int threads = 4;
    int perThread = 200;
    Concurrently.run(threads, offset -> {
      for (int i = 0; i < perThread; i++) {
        // Threads interleave old and new instants, as slow and fast requests do.
        int second = (i * 7 + offset * 13) % (threads * perThread) + 1;
        store.touch(touched.id(), T0.plusSeconds(second), touched.expiresAt().plusSeconds(second));
        store.touch(revoked.id(), T0.plusSeconds(second), revoked.expiresAt().plusSeconds(second));
        if (offset == 0 && i == perThread / 2) {
          store.revokeSession(revoked.id(), T0);
        }
      }
      return null;
    });
    int latest = 0;
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        latest = Math.max(latest, (i * 7 + t * 13) % (threads * perThread) + 1);
      }
    }
    try (TokenStore reopened = store.reopen()) {
      Session session = reopened.findSession(touched.id()).orElseThrow().session();
      assertEquals(T0.plusSeconds(latest), session.lastUsedAt());
      assertEquals(touched.expiresAt().plusSeconds(latest), session.expiresAt());
      assertTrue(reopened.findSession(revoked.id()).orElseThrow().isRevoked());
    }
  }

  @ContractTest
  default void purgeExpired_atTheExactExpiry_removesTheSessionWithAllItsTokens() {
    AcknowledgedStore store = open();
    SessionRecord shortLived = createPair(store, "alice");
    SessionRecord longLived = session("alice", Duration.ofHours(2));
    createSingle(store, longLived);
    Rotation rotation = rotation(shortLived, T0.plusSeconds(1));
    assertTrue(store.rotate(rotation));
    Instant expiry = store.findSession(shortLived.id()).orElseThrow().expiresAt();
    assertEquals(0, store.purgeExpired(expiry.minusNanos(1)));
    assertTrue(store.find(shortLived.refreshHash()).isPresent());
    assertEquals(1, store.purgeExpired(expiry));
    try (TokenStore reopened = store.reopen()) {
      assertEquals(Optional.empty(), reopened.findSession(shortLived.id()));
      assertEquals(Optional.empty(), reopened.find(shortLived.refreshHash()));
      assertEquals(Optional.empty(), reopened.find(rotation.refresh().hash()));
      assertEquals(List.of(longLived.id()),
          reopened.findSessions("alice").stream().map(SessionRecord::id).toList());
    }
  }

  @ContractTest(underFaults = true)
  default void purgeExpired_keepsRevokedSessionsAndTombstonesUntilTheSessionExpires() {
    AcknowledgedStore store = open();
    SessionRecord session = createPair(store, "alice");
    store.rotate(rotation(session, T0.plusSeconds(1)));
    store.revokeSession(session.id(), T0.plusSeconds(2));
    assertEquals(0, store.purgeExpired(T0.plusSeconds(3)));
    try (TokenStore reopened = store.reopen()) {
      TokenEntry tombstone = reopened.find(session.refreshHash()).orElseThrow();
      assertTrue(tombstone.token().isRotated());
      assertTrue(tombstone.session().isRevoked());
    }
  }

  @ContractTest(underFaults = true)
  default void purgeExpired_goesByTheLatestExpiry_andKeepsEveryTokenWhileItsSessionStays() {
    AcknowledgedStore store = open();
    SessionId usedId = SessionId.random(RANDOM);
    TokenRecord refresh = token(usedId);
    TokenRecord access = TokenRecord.expiring(randomHash(), usedId, T0.plusSeconds(15 * 60));
    SessionRecord used = pairSession("alice", refresh);
    store.create(used, List.of(refresh, access));
    SessionRecord revoked = createPair(store, "alice");
    store.rotate(rotation(revoked, T0.plusSeconds(1)));
    store.revokeSession(revoked.id(), T0.plusSeconds(2));
    store.touch(used.id(), T0.plusSeconds(50 * 60), T0.plus(Duration.ofHours(2)));
    // Past the access token's own expiry and well past the revoke, before either session ends.
    store.purgeExpired(T0.plusSeconds(20 * 60));
    assertTrue(store.find(access.hash()).isPresent(), "expired token purged before its session");
    assertTrue(store.find(revoked.refreshHash()).isPresent(), "revoked session purged early");
    // Past the expiry the used session was created with, before the one its use moved it to.
    store.purgeExpired(T0.plusSeconds(70 * 60));
    assertTrue(store.findSession(used.id()).isPresent(), "purged by an expiry a touch moved on");
  }

  @ContractTest
  default void revokeSession_ofASessionAlreadyExpired_revokesIt_andALateTouchCannotRevive() {
    AcknowledgedStore store = open();
    SessionRecord session = session("alice");
    createSingle(store, session);
    Instant expiry = session.expiresAt();
    assertTrue(store.revokeSession(session.id(), expiry));
    store.touch(session.id(), expiry.minusSeconds(1), expiry.plus(Duration.ofHours(1)));
    assertTrue(store.findSession(session.id()).orElseThrow().isRevoked());
  }

  @ContractTest
  default void revokeAll_revokesSessionsCreatedByAClockAheadOfIts() {
    AcknowledgedStore store = open();
    Session ahead = new Session(SessionId.random(RANDOM), "alice", "device",
        T0.plusSeconds(600), T0.plusSeconds(600), T0.plus(Duration.ofHours(1)));
    SessionRecord session = SessionRecord.of(ahead, null, null);
    createSingle(store, session);
    assertEquals(1, store.revokeAll("alice", T0.plusSeconds(300)));
    assertTrue(store.findSession(session.id()).orElseThrow().isRevoked());
  }

  @ContractTest
  default void revokeAll_afterATouch_staysRevokedAcrossReopen() {
    AcknowledgedStore store = open();
    SessionRecord session = session("alice");
    createSingle(store, session);
    store.touch(session.id(), T0.plusSeconds(60), session.expiresAt().plusSeconds(60));
    assertEquals(1, store.revokeAll("alice", T0.plusSeconds(61)));
    try (TokenStore reopened = store.reopen()) {
      assertTrue(reopened.findSession(session.id()).orElseThrow().isRevoked());
    }
  }

  @ContractTest
  default void revokeSession_thatFailedAfterLanding_isFinalAtOnce_notOnlyAfterReopen() {
    AcknowledgedStore store = open();
    SessionRecord session = session("alice");
    TokenRecord token = createSingle(store, session);
    assertFalse(store.find(token.hash()).orElseThrow().session().isRevoked());
    faults().failNext(FaultInjector.Step.REVOKE_SESSION, FaultInjector.When.AFTER);
    assertThrows(StoreUnavailableException.class,
        () -> store.revokeSession(session.id(), T0.plusSeconds(1)));
    store.revokeSession(session.id(), T0.plusSeconds(2));
    assertTrue(store.find(token.hash()).orElseThrow().session().isRevoked());
    assertTrue(store.findSession(session.id()).orElseThrow().isRevoked());
    assertTrue(store.findSessions("alice").get(0).isRevoked());
  }

  @ContractTest
  default void create_overARevokedSessionId_isRefused_andTheSessionStaysRevoked() {
    AcknowledgedStore store = open();
    SessionRecord session = session("alice");
    TokenRecord first = createSingle(store, session);
    assertTrue(store.revokeSession(session.id(), T0.plusSeconds(1)));
    assertThrows(IllegalArgumentException.class,
        () -> store.create(session, List.of(token(session.id()))));
    assertTrue(store.find(first.hash()).orElseThrow().session().isRevoked());
  }

  @ContractTest
  default void subjectsDifferingOnlyInCase_areDifferentSubjects() {
    AcknowledgedStore store = open();
    SessionRecord lower = session("alice");
    SessionRecord upper = session("Alice");
    createSingle(store, lower);
    createSingle(store, upper);
    assertEquals(List.of(lower.id()),
        store.findSessions("alice").stream().map(SessionRecord::id).toList());
    assertEquals(1, store.revokeAll("alice", T0.plusSeconds(1)));
    assertFalse(store.findSession(upper.id()).orElseThrow().isRevoked());
  }

  @ContractTest
  default void rotate_atTheRevokesVeryInstant_fails() {
    AcknowledgedStore store = open();
    SessionRecord session = createPair(store, "alice");
    assertTrue(store.revokeSession(session.id(), T0.plusSeconds(5)));
    assertFalse(store.rotate(rotation(session, T0.plusSeconds(5))));
    assertEquals(session.refreshHash(),
        store.findSession(session.id()).orElseThrow().refreshHash());
  }

  @ContractTest
  default void acknowledgedWrites_surviveACrash_notOnlyACleanClose() {
    AcknowledgedStore store = open();
    SessionRecord rotated = createPair(store, "alice");
    Rotation rotation = rotation(rotated, T0.plusSeconds(1));
    assertTrue(store.rotate(rotation));
    SessionRecord revoked = session("alice");
    createSingle(store, revoked);
    assertTrue(store.revokeSession(revoked.id(), T0.plusSeconds(2)));
    SessionRecord loggedOut = session("bob");
    createSingle(store, loggedOut);
    assertEquals(1, store.revokeAll("bob", T0.plusSeconds(3)));
    // No revoke follows the last write: a store that forces only revokes would lose it.
    SessionRecord last = session("carol");
    TokenRecord lastToken = createSingle(store, last);
    store.crash(); // checks every fact acknowledged so far; the asserts below say the main ones
    assertEquals(rotation.refresh().hash(),
        store.findSession(rotated.id()).orElseThrow().refreshHash());
    assertTrue(store.find(rotated.refreshHash()).orElseThrow().token().isRotated());
    assertTrue(store.find(rotation.access().hash()).isPresent());
    assertTrue(store.findSession(revoked.id()).orElseThrow().isRevoked());
    assertTrue(store.findSession(loggedOut.id()).orElseThrow().isRevoked());
    assertEquals(last, store.find(lastToken.hash()).orElseThrow().session());
  }

  @ContractTest
  default void find_readsATokenAndItsSessionAtOneMoment_whileRotationsLand() throws Exception {
    AcknowledgedStore store = open();
    SessionRecord first = createPair(store, "alice");
    AtomicReference<TokenHash> current = new AtomicReference<>(first.refreshHash());
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> torn = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      while (!done.get() && torn.get() == null) {
        TokenHash hash = current.get();
        store.find(hash).ifPresent(entry -> {
          boolean isCurrent = hash.equals(entry.session().refreshHash());
          if (isCurrent == entry.token().isRotated()) {
            torn.set(hash + " read as rotated=" + entry.token().isRotated()
                + " beside a session whose current token is " + entry.session().refreshHash());
          }
        });
      }
    });
    reader.start();
    try {
      SessionRecord session = first;
      for (int i = 1; i <= 200 && torn.get() == null; i++) {
        Rotation rotation = rotation(session, T0.plusMillis(i));
        assertTrue(store.rotate(rotation));
        current.set(rotation.refresh().hash());
        session = store.findSession(session.id()).orElseThrow();
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertNull(torn.get(), "find read token and session at two moments");
  }

  @ContractTest
  default void close_thenAnyCall_throwsIllegalState_andCloseAgainIsHarmless() {
    TokenStore store = open();
    SessionRecord session = session("alice");
    store.close();
    assertThrows(IllegalStateException.class, () -> createSingle(store, session));
    assertThrows(IllegalStateException.class, () -> store.find(randomHash()));
    assertThrows(IllegalStateException.class, () -> store.findSession(session.id()));
    assertThrows(IllegalStateException.class, () -> store.findSessions("alice"));
    assertThrows(IllegalStateException.class, () -> store.rotate(rotation(
        pairSession("alice", token(session.id())), T0)));
    assertThrows(IllegalStateException.class, () -> store.revokeSession(session.id(), T0));
    assertThrows(IllegalStateException.class, () -> store.revokeAll("alice", T0));
    assertThrows(IllegalStateException.class, () -> store.touch(session.id(), T0, T0));
    assertThrows(IllegalStateException.class, () -> store.purgeExpired(T0));
    store.close();
  }

  @ContractTest(underFaults = true)
  default void concurrentCreatesRevokesAndRotations_allLand_andSurviveReopen() throws Exception {
    int threads = 4;
    int perThread = 40;
    AcknowledgedStore store = open();
    ConcurrentLinkedQueue<SessionRecord> kept = new ConcurrentLinkedQueue<>();
    Concurrently.run(threads, t -> {
      for (int i = 0; i < perThread; i++) {
        SessionRecord session = createPair(store, "user" + t);
        if (i % 3 == 0) {
          assertTrue(store.revokeSession(session.id(), T0.plusSeconds(1)));
        } else {
          assertTrue(store.rotate(rotation(session, T0.plusSeconds(2))));
          store.touch(session.id(), T0.plusSeconds(3), session.expiresAt());
          kept.add(session);
        }
      }
      return null;
    });
    List<SessionId> live = new ArrayList<>();
    try (TokenStore reopened = store.reopen()) {
      for (SessionRecord session : reopened.findSessions("user0")) {
        if (!session.isRevoked()) {
          live.add(session.id());
        }
      }
      assertEquals(perThread - (perThread + 2) / 3, live.size());
      assertEquals(threads * perThread - threads * ((perThread + 2) / 3), kept.size());
    }
  }
}
