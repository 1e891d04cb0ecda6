package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The executable {@link TokenStore} contract. Every store implements this interface in its test
 * and so runs every test here; it adds only what is its own (reopening, torn tails, reconnects).
 *
 * <p>Durable stores override {@link #reopen(TokenStore)} to close the store and open a new one on
 * the same data; the tests marked "survives reopen" then also check that nothing acknowledged was
 * lost. The default returns the store unchanged.
 */
public interface TokenStoreContract {

  Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  SecureRandom RANDOM = new SecureRandom();

  /** A new, empty store. Closed by the test. */
  TokenStore newStore();

  /** Closes {@code store} and opens one on the same data. Memory-only stores return it as is. */
  default TokenStore reopen(TokenStore store) {
    return store;
  }

  /** A record for {@code subject} created at {@link #T0} and expiring {@code ttl} later. */
  static TokenRecord record(String subject, Duration ttl) {
    byte[] digest = new byte[TokenHash.SHA256_LENGTH];
    RANDOM.nextBytes(digest);
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    SessionId sessionId = SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
    Session session = new Session(sessionId, subject, "device", T0, T0, T0.plus(ttl));
    return TokenRecord.of(TokenHash.of(TokenHash.SHA256, digest), session);
  }

  static TokenRecord record(String subject) {
    return record(subject, Duration.ofHours(1));
  }

  @Test
  default void save_thenFind_returnsTheSameRecord() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice");
      store.save(record);
      assertEquals(Optional.of(record), store.find(record.hash()));
    }
  }

  @Test
  default void save_thenReopen_recordSurvives() {
    TokenStore store = newStore();
    TokenRecord record = record("alice");
    store.save(record);
    try (TokenStore reopened = reopen(store)) {
      assertEquals(Optional.of(record), reopened.find(record.hash()));
    }
  }

  @Test
  default void save_labelNull_roundTrips() {
    TokenStore store = newStore();
    TokenRecord record = record("alice");
    Session s = record.session();
    TokenRecord noLabel = TokenRecord.of(record.hash(),
        new Session(s.id(), s.subject(), null, s.createdAt(), s.lastUsedAt(), s.expiresAt()));
    store.save(noLabel);
    try (TokenStore reopened = reopen(store)) {
      assertEquals(Optional.of(noLabel), reopened.find(record.hash()));
    }
  }

  @Test
  default void save_unicodeSubjectAndLabel_roundTrips() {
    TokenStore store = newStore();
    TokenRecord record = record("zoë@exämple.com");
    Session s = record.session();
    TokenRecord unicode = TokenRecord.of(record.hash(), new Session(
        s.id(), s.subject(), "Safari 🦊 on iPhone", s.createdAt(), s.lastUsedAt(), s.expiresAt()));
    store.save(unicode);
    try (TokenStore reopened = reopen(store)) {
      assertEquals(Optional.of(unicode), reopened.find(record.hash()));
      assertEquals(List.of(unicode), reopened.findBySubject("zoë@exämple.com"));
    }
  }

  @Test
  default void save_withClientBinding_roundTrips() {
    TokenStore store = newStore();
    TokenRecord plain = record("alice");
    TokenRecord bound = new TokenRecord(plain.hash(), plain.session(), null,
        new ClientBinding("203.0.113.0/24", "0123456789abcdef0123456789abcdef"));
    TokenRecord agentOnly = record("alice");
    agentOnly = new TokenRecord(agentOnly.hash(), agentOnly.session(), null,
        new ClientBinding(null, "fedcba9876543210fedcba9876543210"));
    store.save(bound);
    store.save(agentOnly);
    store.revoke(agentOnly.hash(), T0.plusSeconds(1));
    try (TokenStore reopened = reopen(store)) {
      assertEquals(Optional.of(bound), reopened.find(bound.hash()));
      assertEquals(Optional.of(agentOnly.revokedAt(T0.plusSeconds(1))),
          reopened.find(agentOnly.hash()));
    }
  }

  @Test
  default void save_duplicateHash_isRefused() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice");
      store.save(record);
      assertThrows(IllegalArgumentException.class, () -> store.save(record));
    }
  }

  @Test
  default void find_unknownHash_isEmpty() {
    try (TokenStore store = newStore()) {
      assertEquals(Optional.empty(), store.find(TokenHash.sha256("never issued")));
    }
  }

  @Test
  default void revoke_marksTheRecordRevoked_andSurvivesReopen() {
    TokenStore store = newStore();
    TokenRecord record = record("alice");
    store.save(record);
    Instant at = T0.plusSeconds(5);
    assertTrue(store.revoke(record.hash(), at));
    try (TokenStore reopened = reopen(store)) {
      TokenRecord found = reopened.find(record.hash()).orElseThrow();
      assertTrue(found.isRevoked());
      assertEquals(at, found.revokedAt());
    }
  }

  @Test
  default void revoke_twice_secondReturnsFalseAndKeepsFirstInstant() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice");
      store.save(record);
      assertTrue(store.revoke(record.hash(), T0.plusSeconds(1)));
      assertFalse(store.revoke(record.hash(), T0.plusSeconds(2)));
      assertEquals(T0.plusSeconds(1), store.find(record.hash()).orElseThrow().revokedAt());
    }
  }

  @Test
  default void revoke_unknownHash_returnsFalse() {
    try (TokenStore store = newStore()) {
      assertFalse(store.revoke(TokenHash.sha256("never issued"), T0));
    }
  }

  @Test
  default void revokeAll_revokesOnlyThatSubject_andSurvivesReopen() {
    TokenStore store = newStore();
    TokenRecord a1 = record("alice");
    TokenRecord a2 = record("alice");
    TokenRecord b1 = record("bob");
    store.save(a1);
    store.save(a2);
    store.save(b1);
    assertEquals(2, store.revokeAll("alice", T0.plusSeconds(1)));
    assertEquals(0, store.revokeAll("alice", T0.plusSeconds(2)));
    try (TokenStore reopened = reopen(store)) {
      assertTrue(reopened.find(a1.hash()).orElseThrow().isRevoked());
      assertTrue(reopened.find(a2.hash()).orElseThrow().isRevoked());
      assertFalse(reopened.find(b1.hash()).orElseThrow().isRevoked());
    }
  }

  @Test
  default void revokeAll_unknownSubject_returnsZero() {
    try (TokenStore store = newStore()) {
      assertEquals(0, store.revokeAll("nobody", T0));
    }
  }

  @Test
  default void findBySubject_returnsEveryRecordOfThatSubjectOnly() {
    try (TokenStore store = newStore()) {
      TokenRecord a1 = record("alice");
      TokenRecord a2 = record("alice");
      store.save(a1);
      store.save(a2);
      store.save(record("bob"));
      store.revoke(a2.hash(), T0.plusSeconds(1));
      Set<TokenHash> hashes = store.findBySubject("alice").stream()
          .map(TokenRecord::hash).collect(Collectors.toSet());
      assertEquals(Set.of(a1.hash(), a2.hash()), hashes);
      assertEquals(List.of(), store.findBySubject("carol"));
    }
  }

  @Test
  default void touch_movesLastUsedAndExpiryForward_andSurvivesReopen() {
    TokenStore store = newStore();
    TokenRecord record = record("alice");
    store.save(record);
    Instant used = T0.plusSeconds(30);
    Instant expires = record.session().expiresAt().plusSeconds(30);
    store.touch(record.hash(), used, expires);
    TokenRecord found = store.find(record.hash()).orElseThrow();
    assertEquals(used, found.session().lastUsedAt());
    assertEquals(expires, found.session().expiresAt());
    try (TokenStore reopened = reopen(store)) {
      // close() flushes coalesced touches, so a clean reopen sees the last use.
      TokenRecord after = reopened.find(record.hash()).orElseThrow();
      assertEquals(used, after.session().lastUsedAt());
      assertEquals(expires, after.session().expiresAt());
    }
  }

  @Test
  default void touch_olderInstants_neverMoveBackwards() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice");
      store.save(record);
      Instant used = T0.plusSeconds(30);
      Instant expires = record.session().expiresAt().plusSeconds(30);
      store.touch(record.hash(), used, expires);
      store.touch(record.hash(), T0.plusSeconds(10), record.session().expiresAt());
      TokenRecord found = store.find(record.hash()).orElseThrow();
      assertEquals(used, found.session().lastUsedAt());
      assertEquals(expires, found.session().expiresAt());
    }
  }

  @Test
  default void touch_fromManyThreadsInAnyOrder_endsAtTheLatest_andARacingRevokeWins()
      throws Exception {
    TokenStore store = newStore();
    TokenRecord touched = record("alice");
    TokenRecord revoked = record("alice");
    store.save(touched);
    store.save(revoked);
    int threads = 4;
    int perThread = 200;
    Concurrently.run(threads, offset -> {
      for (int i = 0; i < perThread; i++) {
        // Threads interleave old and new instants, as slow and fast requests do.
        int second = (i * 7 + offset * 13) % (threads * perThread) + 1;
        store.touch(touched.hash(), T0.plusSeconds(second),
            touched.session().expiresAt().plusSeconds(second));
        store.touch(revoked.hash(), T0.plusSeconds(second),
            revoked.session().expiresAt().plusSeconds(second));
        if (offset == 0 && i == perThread / 2) {
          store.revoke(revoked.hash(), T0);
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
    try (TokenStore reopened = reopen(store)) {
      Session session = reopened.find(touched.hash()).orElseThrow().session();
      assertEquals(T0.plusSeconds(latest), session.lastUsedAt());
      assertEquals(touched.session().expiresAt().plusSeconds(latest), session.expiresAt());
      assertTrue(reopened.find(revoked.hash()).orElseThrow().isRevoked());
    }
  }

  @Test
  default void touch_revokedRecord_staysRevokedAndUnchanged() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice");
      store.save(record);
      store.revoke(record.hash(), T0.plusSeconds(1));
      store.touch(record.hash(), T0.plusSeconds(2), T0.plus(Duration.ofDays(1)));
      TokenRecord found = store.find(record.hash()).orElseThrow();
      assertTrue(found.isRevoked());
      assertEquals(record.session(), found.session());
    }
  }

  @Test
  default void touch_unknownHash_doesNothing() {
    try (TokenStore store = newStore()) {
      TokenHash hash = TokenHash.sha256("never issued");
      store.touch(hash, T0, T0.plusSeconds(1));
      assertEquals(Optional.empty(), store.find(hash));
    }
  }

  @Test
  default void delete_removesTheRecord() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice");
      store.save(record);
      assertTrue(store.delete(record.hash()));
      assertFalse(store.delete(record.hash()));
      assertEquals(Optional.empty(), store.find(record.hash()));
      assertEquals(List.of(), store.findBySubject("alice"));
    }
  }

  @Test
  default void purgeExpired_atTheExactExpiryInstant_removes_andOneNanoBefore_keeps() {
    TokenStore store = newStore();
    TokenRecord shortLived = record("alice", Duration.ofMinutes(1));
    TokenRecord longLived = record("alice", Duration.ofMinutes(2));
    store.save(shortLived);
    store.save(longLived);
    Instant expiry = shortLived.session().expiresAt();
    assertEquals(0, store.purgeExpired(expiry.minusNanos(1)));
    assertTrue(store.find(shortLived.hash()).isPresent());
    assertEquals(1, store.purgeExpired(expiry));
    try (TokenStore reopened = reopen(store)) {
      assertEquals(Optional.empty(), reopened.find(shortLived.hash()));
      assertTrue(reopened.find(longLived.hash()).isPresent());
      assertEquals(List.of(longLived), reopened.findBySubject("alice"));
    }
  }

  @Test
  default void purgeExpired_dropsExpiredTombstonesToo() {
    try (TokenStore store = newStore()) {
      TokenRecord record = record("alice", Duration.ofMinutes(1));
      store.save(record);
      store.revoke(record.hash(), T0.plusSeconds(1));
      assertEquals(1, store.purgeExpired(record.session().expiresAt()));
      assertEquals(Optional.empty(), store.find(record.hash()));
    }
  }

  @Test
  default void close_thenAnyCall_throwsIllegalState_andCloseAgainIsHarmless() {
    TokenStore store = newStore();
    TokenRecord record = record("alice");
    store.close();
    assertThrows(IllegalStateException.class, () -> store.save(record));
    assertThrows(IllegalStateException.class, () -> store.find(record.hash()));
    assertThrows(IllegalStateException.class, () -> store.findBySubject("alice"));
    assertThrows(IllegalStateException.class, () -> store.revoke(record.hash(), T0));
    assertThrows(IllegalStateException.class, () -> store.revokeAll("alice", T0));
    assertThrows(IllegalStateException.class, () -> store.touch(record.hash(), T0, T0));
    assertThrows(IllegalStateException.class, () -> store.delete(record.hash()));
    assertThrows(IllegalStateException.class, () -> store.purgeExpired(T0));
    store.close();
  }

  @Test
  default void concurrentSavesAndRevokes_allLand_andSurviveReopen() throws Exception {
    int threads = 4;
    int perThread = 50;
    TokenStore store = newStore();
    ConcurrentLinkedQueue<TokenRecord> kept = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<TokenRecord> revoked = new ConcurrentLinkedQueue<>();
    Concurrently.run(threads, t -> {
      String subject = "user" + t;
      for (int i = 0; i < perThread; i++) {
        TokenRecord record = record(subject);
        store.save(record);
        if (i % 3 == 0) {
          assertTrue(store.revoke(record.hash(), T0.plusSeconds(1)));
          revoked.add(record);
        } else {
          store.touch(record.hash(), T0.plusSeconds(2), record.session().expiresAt());
          kept.add(record);
        }
      }
      return null;
    });
    try (TokenStore reopened = reopen(store)) {
      for (TokenRecord record : kept) {
        assertFalse(reopened.find(record.hash()).orElseThrow().isRevoked());
      }
      for (TokenRecord record : revoked) {
        assertTrue(reopened.find(record.hash()).orElseThrow().isRevoked());
      }
      Set<TokenHash> user0 = new HashSet<>();
      reopened.findBySubject("user0").forEach(r -> user0.add(r.hash()));
      assertEquals(perThread, user0.size());
    }
  }
}
