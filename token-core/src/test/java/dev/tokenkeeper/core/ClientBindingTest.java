package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClientBindingTest {

  private final MutableClock clock = MutableClock.startingAt2026();
  private final InMemoryTokenStore store = new InMemoryTokenStore();

  private TokenService service(ClientBinding.Policy policy) {
    return TokenService.builder().store(store).clock(clock).clientBinding(policy).build();
  }

  private static AuthResult.Reason reason(AuthResult result) {
    return result instanceof AuthResult.Rejected r ? r.reason() : null;
  }

  /** A lone half has no UTF-8 form: every store would read back another binding. */
  @Test
  void aPartWithAnUnpairedSurrogate_isRefused_aPairIsKept() {
    for (String part : new String[] {"agent\uD800", "\uDC00agent", "a\uD800\uD800"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new ClientBinding(null, part));
      assertEquals("binding parts must not contain unpaired surrogates", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new ClientBinding(part, null));
    }
    assertEquals("ab\uD83D\uDE00", new ClientBinding(null, "ab\uD83D\uDE00").userAgentDigest());
  }

  @Test
  void exactAddress_sameAddressPasses_anotherIsAMismatch() {
    TokenService tokens = service(ClientBinding.Policy.exactAddress());
    String token = tokens.issue("alice", null, new Client("203.0.113.7", "A")).plaintext();
    assertNull(reason(tokens.authenticate(token, new Client("203.0.113.7", "B"))));
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
        reason(tokens.authenticate(token, new Client("203.0.113.8", "A"))));
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH, reason(tokens.authenticate(token)));
  }

  @Test
  void networkPrefix_anyAddressInTheNetworkPasses() {
    TokenService tokens = service(new ClientBinding.Policy(24, 64, false));
    String v4 = tokens.issue("alice", null, new Client("198.51.100.20", null)).plaintext();
    assertNull(reason(tokens.authenticate(v4, new Client("198.51.100.250", null))));
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
        reason(tokens.authenticate(v4, new Client("198.51.101.20", null))));
    String v6 = tokens.issue("alice", null, new Client("2001:db8:1:2::1", null)).plaintext();
    assertNull(reason(tokens.authenticate(v6, new Client("2001:db8:1:2:ffff::9", null))));
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
        reason(tokens.authenticate(v6, new Client("2001:db8:1:3::1", null))));
  }

  @Test
  void userAgent_mustMatchExactly_andIsStoredOnlyAsADigest() {
    TokenService tokens = service(ClientBinding.Policy.userAgentOnly());
    String token = tokens.issue("alice", null, new Client("1.2.3.4", "Firefox/140")).plaintext();
    assertNull(reason(tokens.authenticate(token, new Client("5.6.7.8", "Firefox/140"))));
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
        reason(tokens.authenticate(token, new Client("1.2.3.4", "Firefox/141"))));
    SessionRecord stored = store.find(TokenHash.sha256(token)).orElseThrow().session();
    assertTrue(stored.binding().userAgentDigest().matches("[0-9a-f]{32}"));
    assertNull(stored.binding().network());
  }

  @Test
  void unknownOrHostNameAddress_failsClosed_withoutAnyLookup() {
    TokenService tokens = service(ClientBinding.Policy.exactAddress());
    String unbound = tokens.issue("alice", null, Client.UNKNOWN).plaintext();
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH, reason(tokens.authenticate(unbound)));
    String token = tokens.issue("alice", null, new Client("127.0.0.1", null)).plaintext();
    assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
        reason(tokens.authenticate(token, new Client("localhost", null))));
    assertNull(ClientBinding.parseLiteral("example.com"));
    assertNull(ClientBinding.parseLiteral("1.2.3"));
  }

  @Test
  void offByDefault_tokensWorkFromAnywhere() {
    TokenService tokens = TokenService.builder().store(store).clock(clock).build();
    String token = tokens.issue("alice", null, new Client("203.0.113.7", "A")).plaintext();
    assertNull(store.find(TokenHash.sha256(token)).orElseThrow().session().binding());
    assertNull(reason(tokens.authenticate(token, new Client("192.0.2.1", "B"))));
  }

  @Test
  void policy_badPrefixLengths_areRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ClientBinding.Policy(33, 64, false));
    assertThrows(IllegalArgumentException.class, () -> new ClientBinding.Policy(24, 129, false));
    assertThrows(IllegalArgumentException.class, () -> new ClientBinding.Policy(0, 0, false));
  }

  @Test
  void binding_holdsAtItsOwnPrefix_afterThePolicyChangesOrIsSwitchedOff() {
    String token = service(new ClientBinding.Policy(24, 64, false))
        .issue("alice", null, new Client("198.51.100.20", null)).plaintext();
    TokenService exact = TokenService.builder().store(store).clock(clock)
        .clientBinding(ClientBinding.Policy.exactAddress()).build();
    TokenService off = TokenService.builder().store(store).clock(clock).build();
    for (TokenService later : new TokenService[] {exact, off}) {
      assertNull(reason(later.authenticate(token, new Client("198.51.100.99", null))));
      assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
          reason(later.authenticate(token, new Client("198.51.101.20", null))));
    }
  }

  @Test
  void storedBinding_garbledNetwork_neverMatches() {
    ClientBinding garbled = new ClientBinding("203.0.113.0/xx", null);
    assertEquals(false, garbled.matches(new Client("203.0.113.1", null)));
    assertEquals(false, new ClientBinding("203.0.113.0/40", null)
        .matches(new Client("203.0.113.1", null)));
    assertEquals(false, new ClientBinding("unknown", null).matches(new Client("1.2.3.4", null)));
  }
}
