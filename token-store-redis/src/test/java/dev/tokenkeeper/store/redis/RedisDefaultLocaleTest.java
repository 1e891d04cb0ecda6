package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
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
  private static final Locale ARABIC = Locale.forLanguageTag("ar-SA");

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

  /**
   * Layout-1 tokens of one session, one written by an earlier release's instance in ar-SA, one,
   * a refresh later, by an instance in en-US. The upgrade to layout 2 takes the session's last
   * use and expiry as the latest of its tokens', which it compared as texts.
   */
  @Test
  void layoutUpgrade_ofTokensWrittenInTwoLocales_keepsTheLatestUseAndExpiry() {
    SessionId id = SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA");
    Instant refreshed = T0.plusSeconds(300);
    layoutOneToken("up:", id, ARABIC, T0, T0.plus(Duration.ofHours(1)));
    layoutOneToken("up:", id, Locale.US, refreshed, T0.plus(Duration.ofHours(2)));
    try (RedisTokenStore store = store("up:", refreshed)) {
      assertEquals(0, store.purgeExpired(T0.plus(Duration.ofMinutes(90))));
      Session session = store.findSession(id).orElseThrow().session();
      assertEquals(T0.plus(Duration.ofHours(2)), session.expiresAt());
      assertEquals(refreshed, session.lastUsedAt());
    }
  }

  /** The scripts' mapping on its own: every locale's digits, and nothing else changed. */
  @Test
  void asciiInstant_mapsEachLocalesDigits_andReturnsAnyOtherTextAsItIs() throws IOException {
    byte[] script;
    try (InputStream shared = LuaScript.class.getResourceAsStream("shared.lua")) {
      script = (new String(shared.readAllBytes(), StandardCharsets.UTF_8)
          + "\nreturn ascii_instant(ARGV[1])").getBytes(StandardCharsets.UTF_8);
    }
    Instant instant = Instant.parse("2026-12-04T17:45:00.123456789Z");
    byte[] ascii = KeyLayout.encode(instant).getBytes(StandardCharsets.US_ASCII);
    for (String tag : List.of("ar-SA", "fa-IR", "ne-NP", "bn-BD", "my-MM", "dz-BT",
        "hi-IN-u-nu-deva", "th-TH-u-nu-thai", "sat-IN", "en-US")) {
      assertArrayEquals(ascii, mapped(script, earlierRelease(Locale.forLanguageTag(tag), instant)
          .getBytes(StandardCharsets.UTF_8)), tag);
    }
    byte[] stray = new byte[ascii.length + 1];
    stray[0] = (byte) 0xFF;
    System.arraycopy(ascii, 0, stray, 1, ascii.length);
    for (byte[] other : List.of(stray, bytes(0xB5), bytes('9', 0xA0), bytes(0xE0, 0x99, 0xA6),
        bytes(0xF0, 0xA5, 0xA6), bytes(0xD0, 0xA5, 0xA6), bytes(0xD0, 0xA5, '1'),
        bytes(0xED, 0xA0, 0x80))) {
      assertArrayEquals(other, mapped(script, other), HexFormat.of().formatHex(other));
    }
  }

  private static byte[] mapped(byte[] script, byte[] text) {
    return (byte[]) redis.raw().eval(script, List.of(), List.of(text));
  }

  private static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  /** A layout-1 token of session {@code id}, alice's, as an instance in {@code locale} wrote it. */
  private static void layoutOneToken(String prefix, SessionId id, Locale locale, Instant used,
      Instant expires) {
    String member = "1:" + HexFormat.of().formatHex(TokenStoreContract.randomHash().bytes());
    String key = prefix + "t:" + member;
    redis.raw().hset(key, Map.of("sid", id.value(), "sub", "alice", "lbl", "device",
        "c", earlierRelease(locale, T0), "u", earlierRelease(locale, used),
        "e", earlierRelease(locale, expires)));
    redis.raw().pexpire(key, Duration.ofHours(3).toMillis());
    redis.raw().sadd(prefix + "s:alice", member);
    redis.raw().pexpire(prefix + "s:alice", Duration.ofHours(3).toMillis());
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
      redis.raw().hset(key, field.getKey(), earlierRelease(ARABIC, field.getValue()));
    }
  }

  /** {@code instant} as an earlier release in {@code locale} wrote it. */
  private static String earlierRelease(Locale locale, Instant instant) {
    return String.format(locale, "%012d%09d", instant.getEpochSecond() + 100_000_000_000L,
        instant.getNano());
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
