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

/**
 * Access/refresh pairs on the in-memory store: their shape, and a logout forced to land between a
 * refresh's read and its rotation. Rotation, grace and reuse run over every store in
 * {@link TokenServiceContract} and {@link SessionRaceContract}.
 */
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
  void logoutLandingMidRefresh_winsOverTheRefresh() {
    Runnable[] onFind = {() -> { }};
    TokenStore racing = new ForwardingTokenStore(new InMemoryTokenStore()) {
      @Override
      public java.util.Optional<TokenEntry> find(TokenHash hash) {
        java.util.Optional<TokenEntry> found = super.find(hash);
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
