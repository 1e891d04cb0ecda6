package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TokenHashTest {

  @Test
  void sha256_matchesTheKnownDigest() {
    // SHA-256("abc") from FIPS 180-2.
    byte[] expected = HexFormat.of().parseHex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    TokenHash hash = TokenHash.sha256("abc");
    assertArrayEquals(expected, hash.bytes());
    assertEquals(TokenHash.SHA256, hash.scheme());
    assertEquals("ba7816bf", hash.fingerprint());
  }

  @Test
  void toString_showsOnlyTheFingerprint() {
    TokenHash hash = TokenHash.sha256("abc");
    assertEquals("TokenHash[ba7816bf]", hash.toString());
  }

  @Test
  void of_copiesIn_andBytesCopiesOut() {
    byte[] digest = TokenHash.sha256("abc").bytes();
    TokenHash hash = TokenHash.of(TokenHash.SHA256, digest);
    digest[0] ^= 1;
    hash.bytes()[1] ^= 1;
    assertEquals(TokenHash.sha256("abc"), hash);
  }

  @Test
  void equals_comparesSchemeAndDigest() {
    assertEquals(TokenHash.sha256("a"), TokenHash.sha256("a"));
    assertEquals(TokenHash.sha256("a").hashCode(), TokenHash.sha256("a").hashCode());
    assertNotEquals(TokenHash.sha256("a"), TokenHash.sha256("b"));
    assertFalse(TokenHash.sha256("a").equals("a"));
    assertTrue(TokenHash.sha256("").fingerprint().matches("[0-9a-f]{8}"));
  }

  @Test
  void of_unknownSchemeOrWrongLength_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> TokenHash.of(2, new byte[32]));
    assertThrows(IllegalArgumentException.class, () -> TokenHash.of(TokenHash.SHA256, new byte[31]));
    assertThrows(NullPointerException.class, () -> TokenHash.of(TokenHash.SHA256, null));
  }
}
