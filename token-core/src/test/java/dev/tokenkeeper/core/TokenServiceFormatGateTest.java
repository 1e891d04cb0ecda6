package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * What {@link TokenService#authenticate} lets through to its store: exactly the texts the format
 * admits (an access token of either kind, and a legacy one when legacy tokens are accepted),
 * each looked up by {@link TokenHash#sha256} of the text; nothing else reaches the store, and no
 * text makes it throw. The texts are near misses: each character of a token replaced by one of
 * hundreds of others (controls, Latin-1, beyond it, surrogates), legacy bodies, and checksums
 * that spell the CRC plus a multiple of 2^32, which six base-62 digits can.
 */
class TokenServiceFormatGateTest {

  private static final long TWO_TO_32 = 1L << 32;
  private static final long BASE62_LIMIT = 56_800_235_584L; // 62^6
  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  /** A store that answers every lookup with nothing and notes what was looked up. */
  private static TokenStore recording(List<TokenHash> looked) {
    return (TokenStore) Proxy.newProxyInstance(TokenStore.class.getClassLoader(),
        new Class<?>[] {TokenStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("find")) {
            looked.add((TokenHash) args[0]);
            return Optional.empty();
          }
          throw new AssertionError("authenticate called " + method.getName());
        });
  }

  @Test
  void authenticate_nearMisses_reachTheStoreExactlyWhenWellFormed_byTheTextsHash()
      throws Exception {
    long seed = TestSeed.of("TokenServiceFormatGateTest");
    Random random = new Random(seed);
    SecureRandom secure = SecureRandom.getInstance("SHA1PRNG");
    secure.setSeed(seed);
    List<TokenHash> looked = new ArrayList<>();
    TokenService strict = TokenService.builder().store(recording(looked)).build();
    TokenService legacy =
        TokenService.builder().store(recording(looked)).acceptLegacyTokens().build();
    int admitted = 0;
    for (int i = 0; i < 400; i++) {
      TokenFormat.Kind kind = TokenFormat.Kind.values()[i % 3];
      String token = TokenFormat.generate(kind, secure);
      List<String> texts = new ArrayList<>();
      texts.add(token);
      texts.add(token.substring(token.length() - TokenFormat.BODY_LENGTH - 6,
          token.length() - 6)); // the body alone: a legacy token's form
      for (int n = 0; n < 40; n++) {
        StringBuilder changed = new StringBuilder(random.nextBoolean() ? token : texts.get(1));
        changed.setCharAt(random.nextInt(changed.length()), nearMiss(random));
        texts.add(changed.toString());
      }
      texts.addAll(aliasedChecksums(token));
      for (String text : texts) {
        for (boolean acceptLegacy : new boolean[] {false, true}) {
          boolean wellFormed = TokenFormatFuzzTest.reference(text, TokenFormat.Kind.ACCESS)
              || TokenFormatFuzzTest.reference(text, TokenFormat.Kind.PAIRED_ACCESS)
              || (acceptLegacy && TokenFormatFuzzTest.referenceLegacy(text));
          String where = "[" + text + "] legacy " + acceptLegacy + " " + TestSeed.replay(seed);
          looked.clear();
          AuthResult result = (acceptLegacy ? legacy : strict).authenticate(text);
          AuthResult.Reason reason = ((AuthResult.Rejected) result).reason();
          assertEquals(wellFormed ? AuthResult.Reason.UNKNOWN : AuthResult.Reason.MALFORMED,
              reason, where);
          assertEquals(wellFormed ? List.of(TokenHash.sha256(text)) : List.of(), looked, where);
          admitted += wellFormed ? 1 : 0;
        }
      }
    }
    assertFalse(admitted == 0, "no text was admitted: the test checks nothing");
  }

  @Test
  void checksumSpellingTheCrcPlusAMultipleOfTwoTo32_isMalformed() throws Exception {
    SecureRandom secure = SecureRandom.getInstance("SHA1PRNG");
    secure.setSeed(62);
    List<TokenHash> looked = new ArrayList<>();
    TokenService service = TokenService.builder().store(recording(looked)).build();
    int tried = 0;
    for (int i = 0; i < 60; i++) {
      for (TokenFormat.Kind kind : TokenFormat.Kind.values()) {
        for (String forged : aliasedChecksums(TokenFormat.generate(kind, secure))) {
          for (TokenFormat.Kind any : TokenFormat.Kind.values()) {
            assertFalse(TokenFormat.isWellFormed(forged, any), forged);
          }
          assertEquals(AuthResult.Reason.MALFORMED,
              ((AuthResult.Rejected) service.authenticate(forged)).reason(), forged);
          tried++;
        }
      }
    }
    assertEquals(List.of(), looked);
    assertFalse(tried < 60 * 3 * 12, "too few forgeries: " + tried);
  }

  /** {@code token} with its checksum replaced by the CRC plus each multiple of 2^32 below 62^6. */
  private static List<String> aliasedChecksums(String token) {
    String head = token.substring(0, token.length() - 6);
    CRC32 crc = new CRC32();
    crc.update(head.getBytes(StandardCharsets.US_ASCII));
    List<String> forged = new ArrayList<>();
    for (long value = crc.getValue() + TWO_TO_32; value < BASE62_LIMIT; value += TWO_TO_32) {
      char[] digits = new char[6];
      long rest = value;
      for (int i = 5; i >= 0; i--) {
        digits[i] = BASE62.charAt((int) (rest % 62));
        rest /= 62;
      }
      forged.add(head + new String(digits));
    }
    return forged;
  }

  /** A character no token position admits, or one another position does. */
  private static char nearMiss(Random random) {
    switch (random.nextInt(5)) {
      case 0: return (char) random.nextInt(0x80); // any ASCII, alphabet included
      case 1: return (char) (0x80 + random.nextInt(0x80)); // a negative byte in ISO-8859-1
      case 2: return (char) (0x100 + random.nextInt(0x200)); // '?' in ISO-8859-1
      case 3: return (char) (0xD800 + random.nextInt(0x800)); // a lone surrogate
      default: return (char) (random.nextInt(2) == 0 ? 0xFF : 0x17F); // 0xFF, and 0x7F + 0x100
    }
  }
}
