package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenFormatTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  /** RFC 6750 b64token, and what a secret scanner would match. */
  private static final Pattern SHAPE = Pattern.compile("tk_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}");

  @Test
  void generate_hasThePrefixLengthAndAlphabet() {
    for (int i = 0; i < 200; i++) {
      String token = TokenFormat.generate(RANDOM);
      assertEquals(TokenFormat.LENGTH, token.length());
      assertTrue(SHAPE.matcher(token).matches(), token);
      assertTrue(TokenFormat.isWellFormed(token));
    }
  }

  @Test
  void generate_neverRepeats() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      assertTrue(seen.add(TokenFormat.generate(RANDOM)));
    }
  }

  @Test
  void isWellFormed_everySingleCharacterChange_isRefused() {
    String token = TokenFormat.generate(RANDOM);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int accepted = 0;
    for (int i = 0; i < token.length(); i++) {
      for (char c : alphabet.toCharArray()) {
        if (c == token.charAt(i)) {
          continue;
        }
        String typo = token.substring(0, i) + c + token.substring(i + 1);
        if (TokenFormat.isWellFormed(typo)) {
          accepted++;
        }
      }
    }
    // CRC32 detects every single-character change of the checksummed part.
    assertEquals(0, accepted);
  }

  /**
   * Every character a position could hold in place of its own, not only the alphabet's: control
   * characters, every byte above ASCII (whose low seven bits may name a good character) and
   * characters beyond ISO-8859-1, in the prefix, the body and the checksum alike, for each kind.
   */
  @Test
  void isWellFormed_anySingleCharacterReplaced_isRefused() {
    for (TokenFormat.Kind kind : TokenFormat.Kind.values()) {
      String token = TokenFormat.generate(kind, RANDOM);
      for (int i = 0; i < token.length(); i++) {
        for (char c = 0; c < 0x200; c++) {
          if (c != token.charAt(i)) {
            String changed = token.substring(0, i) + c + token.substring(i + 1);
            assertFalse(TokenFormat.isWellFormed(changed, kind), changed);
          }
        }
        for (char c : new char[] {'\uD83D', '\uFFFD', '\uFFFF', (char) (token.charAt(i) + 0x100)}) {
          String changed = token.substring(0, i) + c + token.substring(i + 1);
          assertFalse(TokenFormat.isWellFormed(changed, kind), changed);
        }
      }
      assertTrue(TokenFormat.isWellFormed(token, kind));
    }
  }

  /**
   * A forger can compute a checksum over any bytes: a body character above ASCII whose low seven
   * bits name a good one, under a checksum that matches its bytes, is still refused.
   */
  @Test
  void isWellFormed_bodyAboveAsciiUnderAMatchingChecksum_isRefused() {
    String token = TokenFormat.generate(RANDOM);
    for (int i = TokenFormat.PREFIX.length(); i < TokenFormat.PREFIX.length() + TokenFormat.BODY_LENGTH; i++) {
      String head = token.substring(0, i) + (char) (token.charAt(i) | 0x80)
          + token.substring(i + 1, TokenFormat.PREFIX.length() + TokenFormat.BODY_LENGTH);
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      long value = crc.getValue();
      String digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
      char[] checksum = new char[TokenFormat.CHECKSUM_LENGTH];
      for (int d = checksum.length - 1; d >= 0; d--) {
        checksum[d] = digits.charAt((int) (value % 62));
        value /= 62;
      }
      assertFalse(TokenFormat.isWellFormed(head + new String(checksum)), head);
    }
  }

  @Test
  void isWellFormed_swappedNeighbours_isRefused() {
    String token = TokenFormat.generate(RANDOM);
    for (int i = 3; i < token.length() - 1; i++) {
      if (token.charAt(i) == token.charAt(i + 1)) {
        continue;
      }
      String swapped = token.substring(0, i) + token.charAt(i + 1) + token.charAt(i)
          + token.substring(i + 2);
      assertFalse(TokenFormat.isWellFormed(swapped), swapped);
    }
  }

  @Test
  void isWellFormed_nonCanonicalLastBodyCharacter_isRefused() {
    String token = TokenFormat.generate(RANDOM);
    String head = token.substring(0, TokenFormat.PREFIX.length() + TokenFormat.BODY_LENGTH - 1);
    // 'B' has low bits 01: decodes to the same 32 bytes as 'A' would; only one spelling is valid.
    String odd = head + "B";
    assertFalse(TokenFormat.isWellFormed(odd + TokenFormat.checksum(odd)));
    String even = head + "A";
    assertTrue(TokenFormat.isWellFormed(even + TokenFormat.checksum(even)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "tk_",
      "Bearer",
      "gh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000",
      "TK_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000",
      "tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=000000",
      "tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+000000",
      "tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\u0000000000",
      "tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAé000000",
  })
  void isWellFormed_wrongPrefixLengthOrAlphabet_isRefused(String presented) {
    assertFalse(TokenFormat.isWellFormed(presented));
  }

  @Test
  void isWellFormed_tooLongOrTooShort_isRefused() {
    String token = TokenFormat.generate(RANDOM);
    assertFalse(TokenFormat.isWellFormed(token + "A"));
    assertFalse(TokenFormat.isWellFormed(token.substring(1)));
    assertFalse(TokenFormat.isWellFormed(token.substring(0, token.length() - 1)));
    assertFalse(TokenFormat.isWellFormed(" " + token.substring(1)));
    assertFalse(TokenFormat.isWellFormed(null));
  }

  /**
   * The request path hashes the bytes its format check copied: for every token a check passes,
   * that must be the hash of the token itself, or no issued token would ever be found.
   */
  @Test
  void sha256OfAscii_ofTheBytesAFormatCheckPassed_isTheTokensHash() {
    for (TokenFormat.Kind kind : TokenFormat.Kind.values()) {
      for (int i = 0; i < 50; i++) {
        String token = TokenFormat.generate(kind, RANDOM);
        byte[] bytes = TokenFormat.bytesOf(token);
        assertTrue(TokenFormat.isWellFormed(bytes, kind), token);
        assertEquals(TokenHash.sha256(token), TokenHash.sha256OfAscii(bytes), token);
      }
    }
    String legacy = TokenFormat.generate(RANDOM).substring(3, 3 + TokenFormat.BODY_LENGTH);
    assertTrue(TokenFormat.isLegacy(legacy));
    assertEquals(TokenHash.sha256(legacy), TokenHash.sha256OfAscii(TokenFormat.bytesOf(legacy)));
  }

  /** Only a text as long as some token is copied: a long header costs no copy of its bytes. */
  @Test
  void bytesOf_aTextOfNoTokensLength_isNull() {
    String token = TokenFormat.generate(RANDOM);
    assertEquals(null, TokenFormat.bytesOf(null));
    assertEquals(null, TokenFormat.bytesOf(""));
    assertEquals(null, TokenFormat.bytesOf(token + "AA"));
    assertEquals(null, TokenFormat.bytesOf("x".repeat(8192)));
    assertFalse(TokenFormat.isWellFormed((byte[]) null, TokenFormat.Kind.ACCESS));
  }

  @Test
  void checksum_differsForDifferentBodies() {
    assertNotEquals(TokenFormat.checksum("tk_a"), TokenFormat.checksum("tk_b"));
  }

  /** A text that says one length and holds another is refused, not read past its end. */
  @Test
  void isWellFormed_ofACharSequenceWhoseTextIsNotAsLongAsItSays_isFalse() {
    String token = TokenFormat.generate(RANDOM);
    for (String text : new String[] {token.substring(0, 20), token + "AAAA"}) {
      CharSequence lying = new CharSequence() {
        @Override
        public int length() {
          return token.length();
        }

        @Override
        public char charAt(int index) {
          return token.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
          return token.subSequence(start, end);
        }

        @Override
        public String toString() {
          return text;
        }
      };
      assertFalse(TokenFormat.isWellFormed(lying, TokenFormat.Kind.ACCESS));
    }
    assertTrue(TokenFormat.isWellFormed(token, TokenFormat.Kind.ACCESS));
  }
}
