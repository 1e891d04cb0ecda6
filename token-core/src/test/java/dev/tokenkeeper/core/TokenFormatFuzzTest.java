package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests of the token and session-id parsers over seeded random inputs: they never throw
 * (but for the documented {@link IllegalArgumentException} of {@link SessionId#parse}), they agree
 * with an independent reference reading of the format, and no single-character change of a token
 * is accepted as any kind of token.
 *
 * <p>A failure names its seed and input; rerun one seed with
 * {@code mvn -B -pl token-core test -Dtest=TokenFormatFuzzTest -Dfuzz.seed=N}, or more seeds with
 * {@code -Dfuzz.seeds=500}.
 */
class TokenFormatFuzzTest {

  private static final int CASES_PER_SEED = 2_000;
  private static final String B64URL =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  /** Characters a hostile or careless client sends: b64token extras, spaces, controls, Unicode. */
  private static final String OTHER = "+/=.~ \t\r\n\u0000\u007f\u00e9\u0130\uff21\u200b\ud83d";

  static Stream<Long> seeds() {
    return TestSeed.fuzzSeeds(6);
  }

  private static String where(long seed, String input) {
    String shown = input == null ? "null" : input.length() > 80
        ? input.substring(0, 80) + "...(" + input.length() + " chars)" : input;
    return "input [" + shown.replace("\u0000", "\\0") + "], "
        + TestSeed.replay(seed, TestSeed.FUZZ_PROPERTY);
  }

  private static SecureRandom seeded(long seed) {
    try {
      SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
      random.setSeed(seed);
      return random;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void isWellFormed_generatedToken_acceptedAsItsOwnKindOnly(long seed) {
    SecureRandom random = seeded(seed);
    for (int i = 0; i < CASES_PER_SEED / 4; i++) {
      for (TokenFormat.Kind kind : TokenFormat.Kind.values()) {
        String token = TokenFormat.generate(kind, random);
        for (TokenFormat.Kind other : TokenFormat.Kind.values()) {
          assertEquals(kind == other, TokenFormat.isWellFormed(token, other), where(seed, token));
        }
        assertFalse(TokenFormat.isLegacy(token), where(seed, token));
        assertTrue(reference(token, kind), where(seed, token));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void isWellFormed_tokenWithOneCharacterChanged_rejectedAsEveryKind(long seed) {
    SecureRandom secure = seeded(seed);
    Random random = new Random(seed);
    String pool = B64URL + BASE62 + OTHER;
    for (int i = 0; i < CASES_PER_SEED; i++) {
      TokenFormat.Kind kind = TokenFormat.Kind.values()[random.nextInt(3)];
      String token = TokenFormat.generate(kind, secure);
      StringBuilder changed = new StringBuilder(token);
      int at = random.nextInt(token.length());
      char replacement = pool.charAt(random.nextInt(pool.length()));
      if (replacement == token.charAt(at)) {
        continue;
      }
      changed.setCharAt(at, replacement);
      String mutated = changed.toString();
      for (TokenFormat.Kind any : TokenFormat.Kind.values()) {
        assertFalse(TokenFormat.isWellFormed(mutated, any), where(seed, mutated));
      }
      String cut = random.nextBoolean() ? token.substring(0, at) : token.substring(at + 1);
      String grown = token.substring(0, at) + replacement + token.substring(at);
      for (TokenFormat.Kind any : TokenFormat.Kind.values()) {
        assertFalse(TokenFormat.isWellFormed(cut, any), where(seed, cut));
        assertFalse(TokenFormat.isWellFormed(grown, any), where(seed, grown));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void parsers_randomText_neverThrowAndAgreeWithTheReference(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED; i++) {
      String text = randomText(random);
      for (TokenFormat.Kind kind : TokenFormat.Kind.values()) {
        boolean wellFormed = assertDoesNotThrow(() -> TokenFormat.isWellFormed(text, kind),
            where(seed, text));
        assertEquals(reference(text, kind), wellFormed, where(seed, text));
      }
      assertEquals(referenceLegacy(text), TokenFormat.isLegacy(text), where(seed, text));
      boolean sessionId = SessionId.isWellFormed(text);
      // Canonical base64url of 16 bytes: the last of 22 characters carries 2 bits, low 4 zero.
      assertEquals(text.length() == 22 && allB64Url(text) && "AQgw".indexOf(text.charAt(21)) >= 0,
          sessionId, where(seed, text));
      if (sessionId) {
        assertEquals(text, SessionId.parse(text).value(), where(seed, text));
      } else {
        assertThrows(IllegalArgumentException.class, () -> SessionId.parse(text), where(seed, text));
      }
    }
    assertFalse(TokenFormat.isWellFormed(null));
    assertFalse(TokenFormat.isLegacy(null));
    assertFalse(SessionId.isWellFormed(null));
    assertThrows(NullPointerException.class, () -> SessionId.parse(null));
  }

  /**
   * Near misses: the right prefix and length with random body and checksum, a canonical body with
   * a random checksum, random text of exactly a token's length; and bounded huge inputs.
   */
  private static String randomText(Random random) {
    TokenFormat.Kind kind = TokenFormat.Kind.values()[random.nextInt(3)];
    switch (random.nextInt(6)) {
      case 0:
        return kind.prefix + chars(random, B64URL, TokenFormat.BODY_LENGTH)
            + chars(random, BASE62, TokenFormat.CHECKSUM_LENGTH);
      case 1: {
        byte[] secret = new byte[TokenFormat.RANDOM_BYTES];
        random.nextBytes(secret);
        String head = kind.prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        // One in a few cases gets the right checksum, so acceptance is exercised too.
        return head + (random.nextInt(4) == 0 ? referenceChecksum(head)
            : chars(random, BASE62, TokenFormat.CHECKSUM_LENGTH));
      }
      case 2:
        return chars(random, B64URL + OTHER, kind.length);
      case 3:
        return chars(random, B64URL, random.nextBoolean() ? TokenFormat.BODY_LENGTH : 22);
      case 4:
        return chars(random, B64URL + BASE62 + OTHER + "tkar_", random.nextInt(120));
      default:
        return chars(random, B64URL + OTHER, random.nextInt(20_000));
    }
  }

  private static String chars(Random random, String pool, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(pool.charAt(random.nextInt(pool.length())));
    }
    return out.toString();
  }

  private static boolean allB64Url(String text) {
    return text.chars().allMatch(c -> B64URL.indexOf(c) >= 0);
  }

  /** The format read another way: decode the body and re-encode it, recompute the CRC. */
  static boolean reference(String text, TokenFormat.Kind kind) {
    if (text == null || text.length() != kind.length || !text.startsWith(kind.prefix)) {
      return false;
    }
    String body = text.substring(kind.prefix.length(), kind.prefix.length() + 43);
    if (!allB64Url(body)) {
      return false;
    }
    byte[] secret = Base64.getUrlDecoder().decode(body);
    if (secret.length != 32
        || !Base64.getUrlEncoder().withoutPadding().encodeToString(secret).equals(body)) {
      return false;
    }
    String head = kind.prefix + body;
    return text.substring(head.length()).equals(referenceChecksum(head));
  }

  private static String referenceChecksum(String head) {
    CRC32 crc = new CRC32();
    crc.update(head.getBytes(StandardCharsets.US_ASCII));
    long value = crc.getValue();
    char[] out = new char[6];
    for (int i = 5; i >= 0; i--) {
      out[i] = BASE62.charAt((int) (value % 62));
      value /= 62;
    }
    return new String(out);
  }

  static boolean referenceLegacy(String text) {
    return text.length() == 43 && allB64Url(text);
  }
}
