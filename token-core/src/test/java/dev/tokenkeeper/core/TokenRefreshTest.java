package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Access/refresh pairs: rotation, reuse detection with a grace window, and their races. */
class TokenRefreshTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");

  private final MutableClock clock = MutableClock.startingAt2026();
  private final InMemoryTokenStore store = new InMemoryTokenStore();
  private final TokenService tokens = TokenService.builder()
      .store(store).clock(clock).refreshGrace(Duration.ofSeconds(10)).build();

  private static IssuedPair refreshed(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Refreshed.class, result).pair();
  }

  private static AuthResult.Reason rejected(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Rejected.class, result).reason();
  }

  private boolean works(IssuedPair pair) {
    return tokens.authenticate(pair.access().plaintext()).isAuthenticated();
  }

  @Test
  void issuePair_shortAccessToken_andRefreshTokenForTheSession() {
    IssuedPair pair = tokens.issuePair("alice", "laptop", CLIENT);
    assertTrue(pair.access().plaintext().startsWith("tka_"));
    assertTrue(pair.refreshPlaintext().startsWith("tkr_"));
    assertEquals(clock.instant().plus(Duration.ofMinutes(15)), pair.access().session().expiresAt());
    assertEquals(clock.instant().plus(Duration.ofDays(7)), pair.refreshExpiresAt());
    assertTrue(works(pair));
    assertEquals(1, tokens.sessions("alice").size());
    assertFalse(pair.toString().contains(pair.refreshPlaintext()));
    assertFalse(pair.toString().contains(pair.access().plaintext()));
  }

  @Test
  void kinds_areNotInterchangeable() {
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    assertEquals(AuthResult.Reason.MALFORMED,
        ((AuthResult.Rejected) tokens.authenticate(pair.refreshPlaintext())).reason());
    assertEquals(AuthResult.Reason.MALFORMED,
        rejected(tokens.refresh(pair.access().plaintext(), CLIENT)));
    String single = tokens.issue("alice").plaintext();
    assertEquals(AuthResult.Reason.MALFORMED, rejected(tokens.refresh(single, CLIENT)));
  }

  @Test
  void refresh_rotates_keepsTheSessionId_andTheOldRefreshTokenStopsAfterGrace() {
    IssuedPair first = tokens.issuePair("alice", "laptop", CLIENT);
    clock.advance(Duration.ofMinutes(20));
    assertFalse(works(first));
    IssuedPair second = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    assertEquals(first.session().id(), second.session().id());
    assertEquals(first.session().createdAt(), second.session().createdAt());
    assertNotEquals(first.refreshPlaintext(), second.refreshPlaintext());
    assertTrue(works(second));
    assertEquals(1, tokens.sessions("alice").size());
    IssuedPair third = refreshed(tokens.refresh(second.refreshPlaintext(), CLIENT));
    assertTrue(works(third));
  }

  @Test
  void refresh_neverExtendsPastTheAbsoluteLifetime() {
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    Instant hardEnd = clock.instant().plus(Duration.ofDays(7));
    clock.advance(Duration.ofDays(6).plusHours(23).plusMinutes(50));
    IssuedPair late = refreshed(tokens.refresh(pair.refreshPlaintext(), CLIENT));
    assertEquals(hardEnd, late.refreshExpiresAt());
    assertEquals(hardEnd, late.access().session().expiresAt());
    clock.set(hardEnd);
    assertEquals(AuthResult.Reason.EXPIRED, rejected(tokens.refresh(late.refreshPlaintext(), CLIENT)));
  }

  @Test
  void reuseWithinGrace_getsAWorkingPair_forTheSameSession() {
    IssuedPair first = tokens.issuePair("alice", null, CLIENT);
    IssuedPair winner = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(9));
    IssuedPair retry = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    assertEquals(winner.session().id(), retry.session().id());
    assertTrue(works(winner));
    assertTrue(works(retry));
  }

  @Test
  void reuseAfterGrace_revokesThatSessionOnly() {
    IssuedPair laptop = tokens.issuePair("alice", "laptop", CLIENT);
    IssuedPair phone = tokens.issuePair("alice", "phone", CLIENT);
    IssuedPair rotated = refreshed(tokens.refresh(laptop.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(10));
    assertEquals(AuthResult.Reason.REUSED,
        rejected(tokens.refresh(laptop.refreshPlaintext(), CLIENT)));
    assertFalse(works(rotated));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(rotated.refreshPlaintext(), CLIENT)));
    assertTrue(works(phone));
    assertEquals(List.of(phone.session().id()),
        tokens.sessions("alice").stream().map(Session::id).toList());
  }

  @Test
  void refreshAfterLogout_isRevoked_evenWithinGrace() {
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    assertTrue(tokens.revokeSession("alice", pair.session().id()));
    assertFalse(works(pair));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(pair.refreshPlaintext(), CLIENT)));
    IssuedPair other = tokens.issuePair("alice", null, CLIENT);
    refreshed(tokens.refresh(other.refreshPlaintext(), CLIENT));
    assertTrue(tokens.revokeAll("alice") > 0);
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(other.refreshPlaintext(), CLIENT)));
  }

  @Test
  void revoke_withThePairedAccessToken_endsItsRefreshTokenToo() {
    IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
    IssuedPair other = tokens.issuePair("alice", null, CLIENT);
    assertTrue(tokens.revoke(pair.access().plaintext()));
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(tokens.refresh(pair.refreshPlaintext(), CLIENT)));
    assertTrue(works(other));
    assertTrue(tokens.revoke(other.refreshPlaintext()));
    assertFalse(works(other));
  }

  @Test
  void concurrentRefreshInsideTheWindow_everyCallerEndsWithAWorkingSession() throws Exception {
    IssuedPair first = tokens.issuePair("alice", null, CLIENT);
    List<RefreshResult> results =
        Concurrently.run(4, t -> tokens.refresh(first.refreshPlaintext(), CLIENT));
    for (RefreshResult result : results) {
      IssuedPair pair = refreshed(result);
      assertEquals(first.session().id(), pair.session().id());
      assertTrue(works(pair));
    }
    assertEquals(1, tokens.sessions("alice").size());
  }

  @Test
  void concurrentReuseAfterTheWindow_noCallerGetsAPair_andTheSessionEnds() throws Exception {
    IssuedPair first = tokens.issuePair("alice", null, CLIENT);
    IssuedPair legit = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(11));
    List<RefreshResult> results =
        Concurrently.run(4, t -> tokens.refresh(first.refreshPlaintext(), CLIENT));
    for (RefreshResult result : results) {
      AuthResult.Reason reason = rejected(result);
      assertTrue(reason == AuthResult.Reason.REUSED || reason == AuthResult.Reason.REVOKED,
          reason.name());
    }
    assertTrue(results.stream().anyMatch(
        r -> ((RefreshResult.Rejected) r).reason() == AuthResult.Reason.REUSED));
    assertFalse(works(legit));
    assertEquals(List.of(), tokens.sessions("alice"));
  }


  @Test
  void logoutLandingMidRefresh_winsOverTheRefresh() {
    Runnable[] onFind = {() -> { }};
    TokenStore racing = new ForwardingTokenStore() {
      @Override
      public java.util.Optional<TokenRecord> find(TokenHash hash) {
        java.util.Optional<TokenRecord> found = super.find(hash);
        Runnable hook = onFind[0];
        onFind[0] = () -> { };
        hook.run();
        return found;
      }
    };
    TokenService service = TokenService.builder().store(racing).clock(clock).build();
    IssuedPair pair = service.issuePair("alice", null, CLIENT);
    // The logout lands after refresh() has read the token as live, before it rotates it.
    onFind[0] = () -> service.revokeSession("alice", pair.session().id());
    assertEquals(AuthResult.Reason.REVOKED,
        rejected(service.refresh(pair.refreshPlaintext(), CLIENT)));
    assertEquals(List.of(), service.sessions("alice"));
  }
}
