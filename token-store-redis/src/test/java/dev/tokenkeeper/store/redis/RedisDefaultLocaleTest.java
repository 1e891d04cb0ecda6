package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Processes of different default locales on one Redis. The scripts compare stored instants as
 * texts, byte by byte. Formatted in the locale's digits (Arabic-Indic under {@code ar-SA}, two
 * bytes each in UTF-8), an instant sorted after every instant written in ASCII digits, so a purge
 * run in that locale forgot every live session other processes had written.
 */
class RedisDefaultLocaleTest {

  @RegisterExtension static final SharedRedis redis = new SharedRedis(false);
  private static final Instant T0 = TokenStoreContract.T0;

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
