package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Processes of different default locales on one Redis. The scripts compare stored instants as
 * texts, byte by byte. Formatted in the locale's digits (Arabic-Indic under {@code ar-SA}, two
 * bytes each in UTF-8), an instant sorted after every instant written in ASCII digits, so a purge
 * run in that locale forgot every live session other processes had written. Records an earlier
 * release so wrote (here written as it formatted them) must still be used, refreshed and purged
 * by their instants.
 */
class RedisDefaultLocaleTest {

  @RegisterExtension static final SharedRedis redis = new SharedRedis(false);
  private static final Instant T0 = TokenStoreContract.T0;

  @Test
  void touch_ofASessionAnEarlierReleaseWroteInArabicDigits_movesItsExpiryForward() {
    SessionRecord session = TokenStoreContract.session("alice", Duration.ofHours(1));
    Instant now = T0.plus(Duration.ofMinutes(10));
    try (RedisTokenStore store = store("touch:", T0)) {
      store.create(session, List.of(TokenStoreContract.token(session.id())));
      asEarlierReleaseWroteIt("touch:", session);
      store.touch(session.id(), now, now.plus(Duration.ofHours(1)));
    }
    try (RedisTokenStore store = store("touch:", now)) {
      assertEquals(now.plus(Duration.ofHours(1)),
          store.findSession(session.id()).orElseThrow().expiresAt());
    }
  }

  @Test
  void rotate_ofASessionAnEarlierReleaseWroteInArabicDigits_movesItsExpiryForward() {
    Instant now = T0.plus(Duration.ofMinutes(30));
    try (RedisTokenStore store = store("rotate:", T0)) {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      asEarlierReleaseWroteIt("rotate:", session);
      assertTrue(store.rotate(TokenStoreContract.rotation(session, now)));
      assertEquals(session.expiresAt().plusSeconds(60),
          store.findSession(session.id()).orElseThrow().expiresAt());
    }
  }

  @Test
  void purge_ofASessionAnEarlierReleaseWroteInArabicDigits_forgetsItOnceExpired() {
    SessionRecord session = TokenStoreContract.session("alice", Duration.ofHours(1));
    TokenRecord token = TokenStoreContract.token(session.id());
    try (RedisTokenStore store = store("purge:", T0)) {
      store.create(session, List.of(token));
      asEarlierReleaseWroteIt("purge:", session);
      assertEquals(0, store.purgeExpired(T0.plusSeconds(60)), "live for 59 minutes more");
      assertEquals(1, store.purgeExpired(T0.plus(Duration.ofHours(2))));
      assertTrue(store.find(token.hash()).isEmpty());
    }
  }

  @Test
  void revokeAll_countsASessionAnEarlierReleaseWroteInArabicDigitsOnlyWhileLive() {
    SessionRecord expired = TokenStoreContract.session("alice", Duration.ofHours(1));
    SessionRecord live = TokenStoreContract.session("alice", Duration.ofHours(3));
    Instant at = T0.plus(Duration.ofHours(2));
    try (RedisTokenStore store = store("all:", T0)) {
      for (SessionRecord session : List.of(expired, live)) {
        store.create(session, List.of(TokenStoreContract.token(session.id())));
        asEarlierReleaseWroteIt("all:", session);
      }
      assertEquals(1, store.revokeAll("alice", at), "the session live at " + at);
      assertTrue(store.findSession(live.id()).orElseThrow().isRevoked());
    }
  }

  private static RedisTokenStore store(String prefix, Instant now) {
    return RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix)
        .clock(Clock.fixed(now, ZoneOffset.UTC)).build();
  }

  /** Rewrites {@code session}'s instants as an earlier release in {@code ar-SA} wrote them. */
  private static void asEarlierReleaseWroteIt(String prefix, SessionRecord session) {
    String key = new KeyLayout(prefix).sessionKey(session.id());
    Session held = session.session();
    for (Map.Entry<String, Instant> field : Map.of("c", held.createdAt(), "u",
        held.lastUsedAt(), "e", held.expiresAt()).entrySet()) {
      Instant instant = field.getValue();
      redis.raw().hset(key, field.getKey(), String.format(Locale.forLanguageTag("ar-SA"),
          "%012d%09d", instant.getEpochSecond() + 100_000_000_000L, instant.getNano()));
    }
  }

  @Test
  void purge_inALocaleWithDigitsOfItsOwn_keepsALiveSessionWrittenInAscii() {
    try (RedisTokenStore store = RedisTokenStore.builder().uri(redis.uri()).keyPrefix("locale:")
        .clock(Clock.fixed(T0, ZoneOffset.UTC)).build()) {
      SessionRecord session = TokenStoreContract.session("alice", Duration.ofHours(1));
      TokenRecord token = TokenStoreContract.token(session.id());
      store.create(session, List.of(token));

      Locale before = Locale.getDefault(Locale.Category.FORMAT);
      Locale.setDefault(Locale.Category.FORMAT, Locale.forLanguageTag("ar-SA"));
      int purged;
      try {
        purged = store.purgeExpired(T0.plusSeconds(60));
      } finally {
        Locale.setDefault(Locale.Category.FORMAT, before);
      }

      assertEquals(0, purged, "a session live for another 59 minutes was purged");
      assertTrue(store.find(token.hash()).isPresent());
    }
  }
}
