package dev.tokenkeeper.store.redis;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyLayoutTest {

  @Test
  void encode_thenDecode_roundTripsToTheNanosecond() {
    for (Instant instant : List.of(Instant.EPOCH, Instant.parse("2026-01-01T00:00:00.000000001Z"),
        Instant.parse("1900-06-30T12:00:00.5Z"), Instant.parse("+29999-12-31T23:59:59Z"))) {
      assertEquals(instant, KeyLayout.decode(KeyLayout.encode(instant)));
    }
  }

  @Test
  void encode_textOrder_isInstantOrder() {
    Random random = new Random(8);
    for (int i = 0; i < 10_000; i++) {
      Instant x = Instant.ofEpochSecond(random.nextInt() * 8L, random.nextInt(1_000_000_000));
      Instant y = Instant.ofEpochSecond(random.nextInt() * 8L, random.nextInt(1_000_000_000));
      assertEquals(Integer.signum(x.compareTo(y)),
          Integer.signum(KeyLayout.encode(x).compareTo(KeyLayout.encode(y))));
    }
  }

  @Test
  void encode_inALocaleWithDigitsOfItsOwn_writesAsciiDigits() {
    Locale before = Locale.getDefault(Locale.Category.FORMAT);
    Locale.setDefault(Locale.Category.FORMAT, Locale.forLanguageTag("ar-SA"));
    try {
      assertEquals("100000000000000000000", KeyLayout.encode(Instant.EPOCH));
      assertEquals("101767225600000000001",
          KeyLayout.encode(Instant.parse("2026-01-01T00:00:00.000000001Z")));
      assertEquals("000000000000500000000",
          KeyLayout.encode(Instant.ofEpochSecond(-100_000_000_000L, 500_000_000)));
    } finally {
      Locale.setDefault(Locale.Category.FORMAT, before);
    }
  }

  @Test
  void encode_farFuture_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> KeyLayout.encode(Instant.MAX));
  }

  @Test
  void decodeSession_roundTrips_andAMissingFieldIsCorrupted() {
    KeyLayout layout = new KeyLayout("tk:");
    SessionRecord session = TokenStoreContract.session("alice").revokedAt(T0.plusSeconds(1));
    Map<String, String> fields = map(KeyLayout.fields(session));
    assertEquals(session, layout.decodeSession(session.id().value(), fields));
    fields.remove(KeyLayout.EXPIRES);
    assertThrows(StoreCorruptedException.class,
        () -> layout.decodeSession(session.id().value(), fields));
  }

  @Test
  void decodeToken_malformed_isCorrupted_andNamesOnlyAFingerprint() {
    KeyLayout layout = new KeyLayout("tk:");
    TokenHash hash = TokenStoreContract.randomHash();
    Map<String, String> fields = new HashMap<>(Map.of(KeyLayout.SESSION_ID, "not a session id"));
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
        () -> layout.decodeToken(hash, fields, null));
    assertEquals(-1, e.getMessage().indexOf(KeyLayout.id(hash).substring(2)));
    assertTrue(e.getMessage().contains(hash.fingerprint()), e.getMessage());
  }

  private static Map<String, String> map(List<String> flat) {
    Map<String, String> fields = new HashMap<>();
    for (int i = 0; i < flat.size(); i += 2) {
      fields.put(flat.get(i), flat.get(i + 1));
    }
    return fields;
  }
}
