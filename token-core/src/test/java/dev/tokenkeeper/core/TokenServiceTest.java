package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenServiceTest {

  private final MutableClock clock = MutableClock.startingAt2026();
  private final InMemoryTokenStore store = new InMemoryTokenStore();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock).build();

  private static AuthResult.Reason reasonOf(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }

  private static Session sessionOf(AuthResult result) {
    return assertInstanceOf(AuthResult.Authenticated.class, result).session();
  }

  @Test
  void issue_returnsAWellFormedSecret_andStoresOnlyItsHash() {
    IssuedToken issued = tokens.issue("alice@example.com", "Firefox");
    assertTrue(TokenFormat.isWellFormed(issued.plaintext()));
    TokenEntry stored = store.find(TokenHash.sha256(issued.plaintext())).orElseThrow();
    assertEquals(issued.session(), stored.session().session());
    assertFalse(stored.toString().contains(issued.plaintext()));
    assertFalse(issued.toString().contains(issued.plaintext()));
    assertFalse(issued.session().toString().contains(issued.plaintext()));
  }

  @Test
  void issue_defaultLifetime_isSevenDays() {
    Session session = tokens.issue("alice").session();
    assertEquals(clock.instant(), session.createdAt());
    assertEquals(clock.instant(), session.lastUsedAt());
    assertEquals(clock.instant().plus(Duration.ofDays(7)), session.expiresAt());
    assertNull(session.label());
  }

  @Test
  void issue_labelFromAHeader_isCleanedAndCut() {
    assertEquals("a b", tokens.issue("alice", " a\u0000b\r\n").session().label());
    assertEquals(256, tokens.issue("alice", "x".repeat(10_000)).session().label().length());
    assertNull(tokens.issue("alice", " \t ").session().label());
  }

  @Test
  void issue_labelWithSurrogates_keepsPairsWhole_andReplacesLoneHalves() {
    String phone = "\uD83D\uDCF1";
    assertEquals("a\uFFFDb\uFFFD", tokens.issue("alice", "a\uD800b\uDC00").session().label());
    String cutAtThePair = tokens.issue("alice", "x".repeat(255) + phone).session().label();
    assertEquals("x".repeat(255), cutAtThePair, "a pair that does not fit is left out whole");
    assertEquals("x".repeat(254) + phone,
        tokens.issue("alice", "x".repeat(254) + phone + "y").session().label());
  }

  @Test
  void issue_badSubject_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> tokens.issue(" "));
    assertThrows(IllegalArgumentException.class, () -> tokens.issue("alice\n"));
    assertThrows(NullPointerException.class, () -> tokens.issue(null));
    assertEquals(0, store.sessionCount());
  }

  @Test
  void authenticate_issuedToken_returnsItsSessionAndRecordsTheUse() {
    IssuedToken issued = tokens.issue("alice");
    clock.advance(Duration.ofMinutes(5));
    Session session = sessionOf(tokens.authenticate(issued.plaintext()));
    assertEquals("alice", session.subject());
    assertEquals(issued.session().id(), session.id());
    assertEquals(clock.instant(), session.lastUsedAt());
    assertEquals(clock.instant(), tokens.sessions("alice").get(0).lastUsedAt());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "not a token",
      "tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000",
      "ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000",
      "tk_AAAA",
      "tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$000000",
  })
  void authenticate_malformed_isRefusedWithoutAnyStoreCall(String presented) {
    TokenStore untouchable = mock(TokenStore.class);
    TokenService service = TokenService.builder().store(untouchable).build();
    assertEquals(AuthResult.Reason.MALFORMED, reasonOf(service.authenticate(presented)));
    assertFalse(service.revoke(presented));
    verifyNoInteractions(untouchable);
  }

  @Test
  void authenticate_brokenChecksumOfARealToken_isRefusedWithoutAnyStoreCall() {
    String real = tokens.issue("alice").plaintext();
    char last = real.charAt(real.length() - 1);
    String broken = real.substring(0, real.length() - 1) + (last == 'A' ? 'B' : 'A');
    TokenStore untouchable = mock(TokenStore.class);
    TokenService service = TokenService.builder().store(untouchable).build();
    assertEquals(AuthResult.Reason.MALFORMED, reasonOf(service.authenticate(broken)));
    assertEquals(AuthResult.Reason.MALFORMED, reasonOf(service.authenticate(null)));
    verifyNoInteractions(untouchable);
  }

  @Test
  void authenticate_wellFormedButNeverIssued_isUnknown() {
    TokenService other = TokenService.builder().store(new InMemoryTokenStore()).build();
    String foreign = other.issue("alice").plaintext();
    assertEquals(AuthResult.Reason.UNKNOWN, reasonOf(tokens.authenticate(foreign)));
  }

  @Test
  void authenticate_atTheExactExpiryInstant_isExpired_untilPurgeForgetsIt() {
    IssuedToken issued = tokens.issue("alice");
    clock.set(issued.session().expiresAt().minusNanos(1));
    sessionOf(tokens.authenticate(issued.plaintext()));
    clock.set(issued.session().expiresAt());
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(tokens.authenticate(issued.plaintext())));
    assertEquals(1, tokens.purgeExpired());
    assertEquals(AuthResult.Reason.UNKNOWN, reasonOf(tokens.authenticate(issued.plaintext())));
    assertEquals(0, store.sessionCount());
  }

  @Test
  void revoke_bySecret_refusesTheTokenAsRevoked() {
    IssuedToken issued = tokens.issue("alice");
    assertTrue(tokens.revoke(issued.plaintext()));
    assertFalse(tokens.revoke(issued.plaintext()));
    assertEquals(AuthResult.Reason.REVOKED, reasonOf(tokens.authenticate(issued.plaintext())));
    assertEquals(List.of(), tokens.sessions("alice"));
  }

  @Test
  void revokeSession_ofAnotherSubject_isLeftAlone() {
    IssuedToken alice = tokens.issue("alice");
    assertFalse(tokens.revokeSession("bob", alice.session().id()));
    sessionOf(tokens.authenticate(alice.plaintext()));
    assertTrue(tokens.revokeSession("alice", alice.session().id()));
    assertEquals(AuthResult.Reason.REVOKED, reasonOf(tokens.authenticate(alice.plaintext())));
  }

  @Test
  void revokeAll_endsEverySessionOfThatSubjectOnly() {
    IssuedToken laptop = tokens.issue("alice", "laptop");
    IssuedToken phone = tokens.issue("alice", "phone");
    IssuedToken bob = tokens.issue("bob");
    assertEquals(2, tokens.revokeAll("alice"));
    assertEquals(AuthResult.Reason.REVOKED, reasonOf(tokens.authenticate(laptop.plaintext())));
    assertEquals(AuthResult.Reason.REVOKED, reasonOf(tokens.authenticate(phone.plaintext())));
    sessionOf(tokens.authenticate(bob.plaintext()));
  }

  @Test
  void sessions_listsLiveSessionsOldestFirst() {
    IssuedToken first = tokens.issue("alice", "laptop");
    clock.advance(Duration.ofSeconds(1));
    IssuedToken second = tokens.issue("alice", "phone");
    clock.advance(Duration.ofSeconds(1));
    IssuedToken third = tokens.issue("alice", "tablet");
    tokens.revoke(second.plaintext());
    assertEquals(List.of(first.session().id(), third.session().id()),
        tokens.sessions("alice").stream().map(Session::id).toList());
  }

  @Test
  void idleTimeout_eachUseSlidesTheExpiry_butNeverPastTheAbsoluteLifetime() {
    TokenService sliding = TokenService.builder().store(store).clock(clock)
        .absoluteTtl(Duration.ofHours(3)).idleTimeout(Duration.ofHours(1)).build();
    IssuedToken issued = sliding.issue("alice");
    Instant issuedAt = clock.instant();
    assertEquals(issuedAt.plus(Duration.ofHours(1)), issued.session().expiresAt());
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofMinutes(40));
      Session used = sessionOf(sliding.authenticate(issued.plaintext()));
      Instant idleEnd = clock.instant().plus(Duration.ofHours(1));
      Instant hardEnd = issuedAt.plus(Duration.ofHours(3));
      assertEquals(idleEnd.isBefore(hardEnd) ? idleEnd : hardEnd, used.expiresAt());
    }
    // Used 20 minutes ago, but the absolute 3 hours are up.
    clock.set(issuedAt.plus(Duration.ofHours(3)));
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(sliding.authenticate(issued.plaintext())));
  }

  @Test
  void idleTimeout_unusedTokenEndsAfterTheIdleTime() {
    TokenService sliding = TokenService.builder().store(store).clock(clock)
        .idleTimeout(Duration.ofMinutes(30)).build();
    IssuedToken issued = sliding.issue("alice");
    clock.advance(Duration.ofMinutes(30));
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(sliding.authenticate(issued.plaintext())));
  }

  @Test
  void purgeExpired_forgetsExpiredTokens() {
    tokens.issue("alice");
    clock.advance(Duration.ofDays(7));
    assertEquals(1, tokens.purgeExpired());
    assertEquals(0, store.sessionCount());
  }

  @Test
  void builder_badSettings_areRefusedWithClearMessages() {
    var zero = assertThrows(IllegalArgumentException.class,
        () -> TokenService.builder().absoluteTtl(Duration.ZERO));
    assertEquals("absoluteTtl must be positive: PT0S", zero.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TokenService.builder().idleTimeout(Duration.ofSeconds(-1)));
    var idle = assertThrows(IllegalStateException.class, () -> TokenService.builder()
        .store(store).absoluteTtl(Duration.ofHours(1)).idleTimeout(Duration.ofHours(2)).build());
    assertEquals("idleTimeout PT2H exceeds absoluteTtl PT1H", idle.getMessage());
    assertThrows(IllegalStateException.class, () -> TokenService.builder().build());
    assertThrows(IllegalStateException.class,
        () -> TokenService.builder().store(store).store(store));
    assertThrows(NullPointerException.class, () -> TokenService.builder().clock(null));
  }

  @Test
  void toBuilder_derivesAVariantWithTheSameStore() {
    TokenService shortLived = tokens.toBuilder().absoluteTtl(Duration.ofMinutes(1)).build();
    IssuedToken issued = shortLived.issue("alice");
    assertEquals(Duration.ofMinutes(1), shortLived.absoluteTtl());
    sessionOf(tokens.authenticate(issued.plaintext()));
  }

  @Test
  void acceptLegacyTokens_originTokenImportedByHash_authenticates_andIsOffByDefault() {
    String origin = "xIIZyL3I4V9i8774aaaaaaaaaaaaaaaaaaaaaaaaaaa";
    Instant now = clock.instant();
    Session session = new Session(SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA"), "user@example.com",
        null, now, now, now.plus(Duration.ofDays(1)));
    store.create(SessionRecord.of(session, null, null),
        List.of(TokenRecord.of(TokenHash.sha256(origin), session.id())));
    assertEquals(AuthResult.Reason.MALFORMED, reasonOf(tokens.authenticate(origin)));
    TokenService legacy = tokens.toBuilder().acceptLegacyTokens().build();
    assertEquals("user@example.com", sessionOf(legacy.authenticate(origin)).subject());
    assertTrue(legacy.revoke(origin));
    assertEquals(AuthResult.Reason.REVOKED, reasonOf(legacy.authenticate(origin)));
  }

  @Test
  void authenticate_usesWithinASecond_areRecordedOnce() {
    IssuedToken issued = tokens.issue("alice");
    clock.advance(Duration.ofSeconds(5));
    Instant firstUse = clock.instant();
    sessionOf(tokens.authenticate(issued.plaintext()));
    clock.advance(Duration.ofMillis(999));
    assertEquals(firstUse, sessionOf(tokens.authenticate(issued.plaintext())).lastUsedAt());
    assertEquals(firstUse, tokens.sessions("alice").get(0).lastUsedAt());
    clock.advance(Duration.ofMillis(1));
    assertEquals(clock.instant(), sessionOf(tokens.authenticate(issued.plaintext())).lastUsedAt());
  }
}
