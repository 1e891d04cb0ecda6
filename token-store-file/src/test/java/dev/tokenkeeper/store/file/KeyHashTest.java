package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyHashTest {

  private static final int KEYS = 10_000;

  @Test
  void digestsSharingAFirstWord_spreadUnderAKeyedHash() {
    SplittableRandom random = new SplittableRandom(1);
    KeyHash keyed = KeyHash.fresh();
    Set<Integer> unkeyed = new HashSet<>();
    Set<Integer> hashes = new HashSet<>();
    for (int i = 0; i < KEYS; i++) {
      long w1 = random.nextLong();
      long w2 = random.nextLong();
      long w3 = random.nextLong();
      unkeyed.add(KeyHash.FORMAT_5.digest(42, w1, w2, w3));
      hashes.add(keyed.digest(42, w1, w2, w3));
    }
    assertEquals(1, unkeyed.size());
    // Ten thousand keys among 2^32 hashes share one by chance about once in a hundred runs.
    assertTrue(hashes.size() >= KEYS - 3, hashes.size() + " distinct hashes");
  }

  @Test
  void idsSharingTheirHalvesXor_spreadUnderAKeyedHash() {
    SplittableRandom random = new SplittableRandom(2);
    KeyHash keyed = KeyHash.fresh();
    Set<Integer> unkeyed = new HashSet<>();
    Set<Integer> hashes = new HashSet<>();
    for (int i = 0; i < KEYS; i++) {
      long high = random.nextLong();
      unkeyed.add(KeyHash.FORMAT_5.id(high, high ^ 7));
      hashes.add(keyed.id(high, high ^ 7));
    }
    assertEquals(1, unkeyed.size());
    assertTrue(hashes.size() >= KEYS - 3, hashes.size() + " distinct hashes");
  }

  @Test
  void digestsOneBitApart_eachHashDifferently() {
    KeyHash keyed = KeyHash.fresh();
    long[] base = {0x0123_4567_89AB_CDEFL, -1L, 0, 0x8000_0000_0000_0000L};
    Set<Integer> hashes = new HashSet<>();
    hashes.add(keyed.digest(base[0], base[1], base[2], base[3]));
    for (int bit = 0; bit < 256; bit++) {
      long[] w = base.clone();
      w[bit / 64] ^= 1L << (bit % 64);
      hashes.add(keyed.digest(w[0], w[1], w[2], w[3]));
    }
    assertEquals(257, hashes.size());
  }

  /**
   * Digests differing only in the top bits of their words: with whole words times odd
   * multipliers, flipping the top bit of two words cancels out, and these 4,096 keys took 64
   * hashes at most.
   */
  @Test
  void digestsDifferingInTheirWordsTopBits_spread() {
    KeyHash keyed = KeyHash.fresh();
    Set<Integer> hashes = new HashSet<>();
    for (int bits = 0; bits < 1 << 12; bits++) {
      long[] w = new long[4];
      for (int word = 0; word < 4; word++) {
        w[word] = (long) ((bits >>> (3 * word)) & 7) << 61;
      }
      hashes.add(keyed.digest(w[0], w[1], w[2], w[3]));
    }
    assertTrue(hashes.size() >= (1 << 12) - 2, hashes.size() + " distinct hashes");
  }

  @Test
  void aSeedPlacesKeysAlikeEachTime_andAnotherSeedElsewhere() {
    long seed = new SplittableRandom(3).nextLong();
    KeyHash one = KeyHash.of(seed);
    KeyHash again = KeyHash.of(seed);
    KeyHash other = KeyHash.fresh();
    SplittableRandom random = new SplittableRandom(4);
    int moved = 0;
    for (int i = 0; i < 1_000; i++) {
      long a = random.nextLong();
      long b = random.nextLong();
      assertEquals(one.digest(a, b, a, b), again.digest(a, b, a, b));
      assertEquals(one.id(a, b), again.id(a, b));
      if (one.digest(a, b, a, b) != other.digest(a, b, a, b)) {
        moved++;
      }
    }
    assertTrue(moved >= 990, moved + " of 1,000 keys hash differently under another seed");
    assertEquals(seed, one.seed());
  }

  @Test
  void format5_isTheUnkeyedHash_andIsNeverWritten() {
    long w0 = 0x1122_3344_5566_7788L;
    assertEquals((int) (w0 ^ (w0 >>> 32)), KeyHash.FORMAT_5.digest(w0, 1, 2, 3));
    assertEquals((int) ((w0 ^ 5) ^ ((w0 ^ 5) >>> 32)), KeyHash.FORMAT_5.id(w0, 5));
    assertFalse(KeyHash.FORMAT_5.isKeyed());
    assertThrows(IllegalStateException.class, KeyHash.FORMAT_5::seed);
  }

  @Test
  void toString_doesNotShowTheSeed() {
    KeyHash keyed = KeyHash.of(123_456_789_012L);
    assertFalse(keyed.toString().contains("123456789012"), keyed.toString());
  }
}
