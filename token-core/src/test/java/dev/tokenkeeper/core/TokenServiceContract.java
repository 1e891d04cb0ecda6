package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.FaultInjector.Step;
import dev.tokenkeeper.core.FaultInjector.When;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@link TokenService}'s promises run over a real store: issue, sliding expiry, logout, refresh,
 * rotation, the grace window and reuse detection, each also across a reopen (and, where the store
 * has one, a compaction). Written as an attacker tries them: replays, thefts, logouts mid-refresh.
 * The last tests fail one store call on purpose ({@link StoreHarness#faults()}): a store failure
 * during issue, refresh or logout surfaces as {@link StoreUnavailableException}, never as a pass,
 * a rejection or a silent success, and a retry finds the session as the failed call left it.
 * Published in token-core's test-jar; every store's test implements it.
 */
public interface TokenServiceContract extends StoreHarness {

  Client CLIENT = new Client("203.0.113.7", "Firefox");
  Client ELSEWHERE = new Client("198.51.100.9", "Firefox");

  /** Compacts the store if it has such a step (snapshots, log rewrites); else nothing. */
  default void compact(TokenStore store) {}

  default TokenService service(TokenStore store) {
    return TokenService.builder().store(store).clock(clock())
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  static IssuedPair refreshed(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Refreshed.class, result).pair();
  }

  static AuthResult.Reason rejected(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Rejected.class, result).reason();
  }

  static AuthResult.Reason rejected(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }

  static boolean works(TokenService tokens, IssuedPair pair) {
    return tokens.authenticate(pair.access().plaintext()).isAuthenticated();
  }

  @ContractTest(underFaults = true)
  default void issue_thenReopen_authenticates_andRevokeIsFinalAcrossReopen() {
    AcknowledgedStore store = open();
    IssuedToken kept = service(store).issue("alice", "laptop");
    IssuedToken ended = service(store).issue("alice", "phone");
    assertTrue(service(store).revoke(ended.plaintext()));
    store.reopen();
    TokenService tokens = service(store);
    assertTrue(tokens.authenticate(kept.plaintext()).isAuthenticated());
    assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.authenticate(ended.plaintext())));
    assertEquals(List.of(kept.session().id()),
        tokens.sessions("alice").stream().map(Session::id).toList());
    store.close();
  }

  @ContractTest
  default void slidingExpiry_extendsWithUse_acrossReopen_neverPastTheAbsoluteLifetime() {
    AcknowledgedStore store = open();
    TokenService tokens = TokenService.builder().store(store).clock(clock())
        .absoluteTtl(Duration.ofHours(3)).idleTimeout(Duration.ofHours(1)).build();
    IssuedToken issued = tokens.issue("alice");
    // Each use comes 50 minutes after the last, past the first hour only because it slid.
    for (int i = 0; i < 3; i++) {
      clock().advance(Duration.ofMinutes(50));
      assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated(), "use " + i);
      store.reopen();
    }
    clock().set(T0.plus(Duration.ofHours(3)));
    assertEquals(AuthResult.Reason.EXPIRED, rejected(tokens.authenticate(issued.plaintext())));
    store.close();
  }

  @ContractTest(underFaults = true)
  default void refresh_rotates_keepsTheSessionId_andSurvivesReopen() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair first = tokens.issuePair("alice", "laptop", CLIENT);
    clock().advance(Duration.ofMinutes(20));
    assertFalse(works(tokens, first));
    IssuedPair second = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    assertEquals(first.session().id(), second.session().id());
    assertEquals(first.session().createdAt(), second.session().createdAt());
    assertNotEquals(first.refreshPlaintext(), second.refreshPlaintext());
    store.reopen();
    assertTrue(works(tokens, second));
    assertEquals(1, tokens.sessions("alice").size());
    assertTrue(works(tokens, refreshed(tokens.refresh(second.refreshPlaintext(), CLIENT))));
    store.close();
  }

  @ContractTest
  default void refresh_neverExtendsPastTheAbsoluteLifetime() {
    try (TokenStore store = open()) {
      TokenService tokens = service(store);
      IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
      Instant hardEnd = clock().instant().plus(Duration.ofDays(7));
      clock().advance(Duration.ofDays(6).plusHours(23).plusMinutes(50));
      IssuedPair late = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
      assertEquals(hardEnd, late.refreshExpiresAt());
      assertEquals(hardEnd, late.access().session().expiresAt());
      clock().set(hardEnd);
      assertEquals(AuthResult.Reason.EXPIRED,
          rejected(tokens.refresh(late.refreshPlaintext(), CLIENT)));
    }
  }

  @ContractTest(underFaults = true)
  default void replaysWithinGrace_allGetTheSamePair_andOnlyThatChainLivesOn() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair first = tokens.issuePair("alice", null, CLIENT);
    IssuedPair winner = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    for (int replay = 0; replay < 6; replay++) {
      clock().advance(Duration.ofSeconds(1));
      if (replay == 3) {
        store.reopen();
      }
      IssuedPair again = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
      assertEquals(winner.refreshPlaintext(), again.refreshPlaintext(), "replay " + replay);
      assertEquals(winner.access().plaintext(), again.access().plaintext());
      assertEquals(winner.refreshExpiresAt(), again.refreshExpiresAt());
      assertEquals(winner.access().session(), again.access().session());
    }
    clock().advance(Duration.ofMinutes(1));
    IssuedPair next = refreshed(tokens.refresh(winner.refreshPlaintext(), CLIENT));
    assertEquals(1, tokens.sessions("alice").size());
    assertTrue(works(tokens, next));
    store.close();
  }

  @ContractTest(underFaults = true)
  default void reuseAfterGrace_revokesThatSessionOnly_evenAfterCompactionAndReopen() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair victim = tokens.issuePair("alice", "laptop", CLIENT);
    IssuedPair phone = tokens.issuePair("alice", "phone", CLIENT);
    // The thief refreshes first with a stolen token; the chain moves on without the victim.
    IssuedPair thief = refreshed(tokens.refresh(victim.refreshPlaintext(), CLIENT));
    clock().advance(Duration.ofMinutes(5));
    IssuedPair thiefAgain = refreshed(tokens.refresh(thief.refreshPlaintext(), CLIENT));
    compact(store.inner());
    store.reopen();
    compact(store.inner());
    assertEquals(AuthResult.Reason.REUSED,
        rejected(tokens.refresh(victim.refreshPlaintext(), CLIENT)));
    assertFalse(works(tokens, thiefAgain));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(thiefAgain.refreshPlaintext(), CLIENT)));
    assertTrue(works(tokens, phone));
    assertEquals(List.of(phone.session().id()),
        tokens.sessions("alice").stream().map(Session::id).toList());
    store.close();
  }

  @ContractTest
  default void rotatedTokenReplayedFromElsewhere_withBinding_isReuse_notAMismatch() {
    try (TokenStore store = open()) {
      TokenService tokens = service(store).toBuilder()
          .clientBinding(ClientBinding.Policy.exactAddress()).build();
      IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
      IssuedPair next = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
      assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
          rejected(tokens.refresh(next.refreshPlaintext(), ELSEWHERE)));
      assertEquals(AuthResult.Reason.REUSED,
          rejected(tokens.refresh(pair.refreshPlaintext(), ELSEWHERE)));
      assertFalse(tokens.authenticate(next.access().plaintext(), CLIENT).isAuthenticated());
      assertEquals(List.of(), tokens.sessions("alice"));
    }
  }

  @ContractTest(underFaults = true)
  default void refreshAfterLogout_isRevoked_evenWithinGrace_andAcrossReopen() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    IssuedPair next = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
    assertTrue(tokens.revokeSession("alice", pair.session().id()));
    store.reopen();
    assertFalse(works(tokens, next));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(pair.refreshPlaintext(), CLIENT)));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(next.refreshPlaintext(), CLIENT)));
    IssuedPair other = tokens.issuePair("alice", null, CLIENT);
    refreshed(tokens.refresh(other.refreshPlaintext(), CLIENT));
    assertEquals(1, tokens.revokeAll("alice"));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(other.refreshPlaintext(), CLIENT)));
    store.close();
  }

  @ContractTest
  default void revoke_withThePairedAccessToken_endsItsRefreshTokenToo() {
    try (TokenStore store = open()) {
      TokenService tokens = service(store);
      IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
      IssuedPair other = tokens.issuePair("alice", null, CLIENT);
      assertTrue(tokens.revoke(pair.access().plaintext()));
      assertFalse(tokens.revoke(pair.access().plaintext()));
      assertEquals(AuthResult.Reason.REVOKED,
          rejected(tokens.refresh(pair.refreshPlaintext(), CLIENT)));
      assertTrue(works(tokens, other));
      assertTrue(tokens.revoke(other.refreshPlaintext()));
      assertFalse(works(tokens, other));
    }
  }

  @ContractTest
  default void revokeSession_ofAnotherSubject_isLeftAlone() {
    try (TokenStore store = open()) {
      TokenService tokens = service(store);
      IssuedToken bob = tokens.issue("bob");
      assertFalse(tokens.revokeSession("alice", bob.session().id()));
      assertTrue(tokens.authenticate(bob.plaintext()).isAuthenticated());
    }
  }

  @ContractTest
  default void issue_whenTheCreateFails_throwsTheTypedFailure_andHandsOutNoToken() {
    try (TokenStore store = open()) {
      TokenService tokens = service(store);
      faults().failNext(Step.CREATE, When.BEFORE);
      assertThrows(StoreUnavailableException.class, () -> tokens.issue("alice"));
      assertEquals(List.of(), tokens.sessions("alice"));
      faults().failNext(Step.CREATE, When.AFTER);
      assertThrows(StoreUnavailableException.class,
          () -> tokens.issuePair("alice", null, CLIENT));
    }
  }

  @ContractTest
  default void refresh_whenTheStoreCannotBeRead_throwsTheTypedFailure_neverARejection() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    faults().failNext(Step.FIND, When.BEFORE);
    assertThrows(StoreUnavailableException.class,
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT));
    faults().failNext(Step.FIND, When.BEFORE);
    assertThrows(StoreUnavailableException.class,
        () -> tokens.authenticate(pair.access().plaintext()));
    assertTrue(works(tokens, refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT))));
    store.close();
  }

  @ContractTest
  default void refresh_whenTheRotationFailsBeforeLanding_throwsTheTypedFailure_andARetryRotates() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    faults().failNext(Step.ROTATE, When.BEFORE);
    assertThrows(StoreUnavailableException.class,
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT));
    IssuedPair next = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
    clock().advance(Duration.ofSeconds(1));
    assertEquals(next.refreshPlaintext(),
        refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT)).refreshPlaintext());
    store.reopen();
    assertTrue(works(tokens, refreshed(tokens.refresh(next.refreshPlaintext(), CLIENT))));
    assertEquals(1, tokens.sessions("alice").size());
    store.close();
  }

  @ContractTest
  default void refresh_whenTheRotationFailsAfterLanding_throwsTheTypedFailure_andARetryGetsIt() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    faults().failNext(Step.ROTATE, When.AFTER);
    assertThrows(StoreUnavailableException.class,
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT));
    // The rotation landed: a retry within the grace window gets the pair it sealed, every time,
    // and that pair is the one live chain (the validation checks there is no second).
    IssuedPair retried = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
    clock().advance(Duration.ofSeconds(1));
    store.reopen();
    assertEquals(retried.refreshPlaintext(),
        refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT)).refreshPlaintext());
    assertTrue(works(tokens, retried));
    assertTrue(works(tokens, refreshed(tokens.refresh(retried.refreshPlaintext(), CLIENT))));
    store.close();
  }

  @ContractTest
  default void revoke_whenTheRevokeFailsBeforeLanding_throwsTheTypedFailure_andARetryRevokes() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedToken issued = tokens.issue("alice");
    faults().failNext(Step.REVOKE_SESSION, When.BEFORE);
    assertThrows(StoreUnavailableException.class, () -> tokens.revoke(issued.plaintext()));
    assertTrue(tokens.revoke(issued.plaintext()));
    store.reopen();
    assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.authenticate(issued.plaintext())));
    store.close();
  }

  @ContractTest
  default void revokeSession_whenTheRevokeFailsAfterLanding_throwsTheTypedFailure_andItHolds() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    faults().failNext(Step.REVOKE_SESSION, When.AFTER);
    assertThrows(StoreUnavailableException.class,
        () -> tokens.revokeSession("alice", pair.session().id()));
    store.reopen();
    assertFalse(works(tokens, pair));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(pair.refreshPlaintext(), CLIENT)));
    store.close();
  }

  @ContractTest
  default void revokeAll_whenTheStoreFails_throwsTheTypedFailure_neverACount() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedToken laptop = tokens.issue("alice", "laptop");
    IssuedToken phone = tokens.issue("alice", "phone");
    faults().failNext(Step.REVOKE_ALL, When.BEFORE);
    assertThrows(StoreUnavailableException.class, () -> tokens.revokeAll("alice"));
    assertEquals(2, tokens.sessions("alice").size());
    faults().failNext(Step.REVOKE_ALL, When.AFTER);
    assertThrows(StoreUnavailableException.class, () -> tokens.revokeAll("alice"));
    store.reopen();
    assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.authenticate(laptop.plaintext())));
    assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.authenticate(phone.plaintext())));
    assertEquals(0, tokens.revokeAll("alice"));
    store.close();
  }

  @ContractTest
  default void reuseAfterGrace_whenItsRevokeFails_throwsTheTypedFailure_andTheNextTryRevokes() {
    AcknowledgedStore store = open();
    TokenService tokens = service(store);
    IssuedPair victim = tokens.issuePair("alice", null, CLIENT);
    IssuedPair thief = refreshed(tokens.refresh(victim.refreshPlaintext(), CLIENT));
    clock().advance(Duration.ofMinutes(1));
    faults().failNext(Step.REVOKE_SESSION, When.BEFORE);
    // Reuse is not reported while the thief's session is still live.
    assertThrows(StoreUnavailableException.class,
        () -> tokens.refresh(victim.refreshPlaintext(), CLIENT));
    assertEquals(AuthResult.Reason.REUSED,
        rejected(tokens.refresh(victim.refreshPlaintext(), CLIENT)));
    store.reopen();
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(thief.refreshPlaintext(), CLIENT)));
    store.close();
  }
}
