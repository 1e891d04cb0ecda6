package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The contracts with the near cache on (they must hold unchanged), plus the cache's own bound:
 * what another store instance revokes is served here at most {@code nearCacheTtl}, what this
 * instance revokes or rotates is seen at once, and a refresh never answers from the cache.
 */
class JdbcTokenStoreNearCacheTest extends JdbcTokenStoreTest {

  private static final Duration TTL = Duration.ofSeconds(2);

  /** The cache's monotonic time; tests that need its bound move it by hand. */
  private final AtomicLong nanos = new AtomicLong();

  @Override
  JdbcTokenStore.Builder configure(JdbcTokenStore.Builder builder) {
    return builder.nearCacheTtl(TTL).ticker(nanos::get);
  }

  /**
   * None: the contract's two instances would read through their near caches, which by design
   * serve what another instance revoked for up to their TTL; the tests below bound that.
   */
  @Override
  public TokenStore secondInstance(TokenStore first) {
    return null;
  }

  /** Another instance on the same database, without a near cache. */
  private JdbcTokenStore elsewhere() {
    return JdbcTokenStore.builder().dataSource(pool).clock(clock()).build();
  }

  private TokenService service(JdbcTokenStore store) {
    return TokenService.builder().store(store).clock(clock())
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  @Test
  void nearCacheTtl_overTheMaximum_isRefused() {
    JdbcTokenStore.Builder builder = JdbcTokenStore.builder();
    assertThrows(IllegalArgumentException.class,
        () -> builder.nearCacheTtl(JdbcTokenStore.Builder.MAX_NEAR_CACHE_TTL.plusNanos(1)));
    assertThrows(IllegalArgumentException.class,
        () -> builder.nearCacheTtl(Duration.ofSeconds(-1)));
  }

  @Test
  void nearCache_revokedElsewhere_servedAtMostTtl_thenRefused() {
    try (JdbcTokenStore cached = builder(clock()).build();
        JdbcTokenStore other = elsewhere()) {
      TokenService onCached = service(cached);
      TokenService onOther = service(other);
      IssuedToken issued = onOther.issue("alice");
      assertTrue(onCached.authenticate(issued.plaintext()).isAuthenticated());

      onOther.revokeAll("alice");
      nanos.addAndGet(TTL.toNanos() - 1);
      assertTrue(onCached.authenticate(issued.plaintext()).isAuthenticated(),
          "within the stated bound the cached entry may still be served");
      nanos.addAndGet(1);
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          onCached.authenticate(issued.plaintext()));
    }
  }

  @Test
  void nearCache_revokedThroughTheSameStore_refusedAtOnce() {
    try (JdbcTokenStore cached = builder(clock()).build()) {
      TokenService tokens = service(cached);
      IssuedPair pair = tokens.issuePair("alice", null, TokenServiceContract.CLIENT);
      assertTrue(tokens.authenticate(pair.access().plaintext()).isAuthenticated());
      assertTrue(tokens.revoke(pair.refreshPlaintext()));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          tokens.authenticate(pair.access().plaintext()));
    }
  }

  @Test
  void nearCache_logoutEverywhereThroughTheSameStore_refusedAtOnce() {
    try (JdbcTokenStore cached = builder(clock()).build()) {
      TokenService tokens = service(cached);
      IssuedToken issued = tokens.issue("alice");
      assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
      assertEquals(1, tokens.revokeAll("alice"));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          tokens.authenticate(issued.plaintext()));
    }
  }

  @Test
  void nearCache_unknownToken_isNotCached_soATokenIssuedElsewhereWorksAtOnce() {
    try (JdbcTokenStore cached = builder(clock()).build();
        JdbcTokenStore other = elsewhere()) {
      SessionRecord session = TokenStoreContract.session("alice");
      TokenRecord token = TokenStoreContract.token(session.id());
      assertEquals(Optional.empty(), cached.find(token.hash()));
      other.create(session, List.of(token));
      assertTrue(cached.find(token.hash()).isPresent());
    }
  }

  @Test
  void nearCache_sessionEndingWithinTtl_isReadFromTheDatabase() {
    try (JdbcTokenStore cached = builder(clock()).build();
        JdbcTokenStore other = elsewhere()) {
      SessionRecord session = TokenStoreContract.session("alice", Duration.ofSeconds(1));
      TokenRecord token = TokenStoreContract.createSingle(other, session);
      cached.find(token.hash());
      Instant extended = T0.plus(Duration.ofHours(1));
      other.touch(session.id(), T0.plusSeconds(1), extended);
      other.flush();
      assertEquals(extended, cached.find(token.hash()).orElseThrow().session().expiresAt());
    }
  }

  @Test
  void nearCache_currentRefreshToken_isNeverCached_soARotationElsewhereIsSeenAtOnce() {
    try (JdbcTokenStore cached = builder(clock()).build();
        JdbcTokenStore other = elsewhere()) {
      SessionRecord session = TokenStoreContract.createPair(other, "alice");
      assertFalse(cached.find(session.refreshHash()).orElseThrow().token().isRotated());
      assertTrue(other.rotate(TokenStoreContract.rotation(session, T0.plusSeconds(1))));
      assertTrue(cached.find(session.refreshHash()).orElseThrow().token().isRotated(),
          "a refresh token read again within the TTL comes from the database");
    }
  }

  @Test
  void nearCache_rotatedToken_isNeverCached_soALogoutElsewhereIsSeenAtOnce() {
    try (JdbcTokenStore cached = builder(clock()).build();
        JdbcTokenStore other = elsewhere()) {
      SessionRecord session = TokenStoreContract.createPair(other, "alice");
      assertTrue(other.rotate(TokenStoreContract.rotation(session, T0.plusSeconds(1))));
      assertTrue(cached.find(session.refreshHash()).orElseThrow().token().isRotated());
      assertTrue(other.revokeSession(session.id(), T0.plusSeconds(2)));
      assertTrue(cached.find(session.refreshHash()).orElseThrow().session().isRevoked());
    }
  }

  @Test
  void refresh_afterALogoutElsewhere_isRevokedAtOnce_whileTheAccessTokenMayLingerForTtl() {
    try (JdbcTokenStore cached = builder(clock()).build();
        JdbcTokenStore other = elsewhere()) {
      TokenService onCached = service(cached);
      IssuedPair pair = onCached.issuePair("alice", null, TokenServiceContract.CLIENT);
      assertTrue(onCached.authenticate(pair.access().plaintext()).isAuthenticated());
      // Read the refresh token once through this instance, as a refresh would.
      assertTrue(cached.find(TokenHash.sha256(pair.refreshPlaintext())).isPresent());
      assertEquals(1, service(other).revokeAll("alice"));
      assertTrue(onCached.authenticate(pair.access().plaintext()).isAuthenticated(),
          "the access token is the cache's stated trade-off");
      assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED),
          onCached.refresh(pair.refreshPlaintext(), TokenServiceContract.CLIENT));
    }
  }
}
