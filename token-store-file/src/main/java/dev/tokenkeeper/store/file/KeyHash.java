package dev.tokenkeeper.store.file;

import java.security.SecureRandom;

/**
 * Where a {@link CompactLiveIndex} table puts a token's digest or a session's id: a hash keyed by
 * a seed drawn for each table, each time the table is built. The store's SPI takes any digest
 * and any id, so keys can be chosen to share a hash; under a hash with a secret key they share
 * it by chance only, and no caller can line a million of them up into one probe.
 *
 * <p>Vector multiply-add-shift over 32-bit halves (Dietzfelbinger 1996; Thorup, "High speed
 * hashing for integers and strings"): each half of each word times a random 64-bit multiplier,
 * summed with a random 64-bit addend modulo 2<sup>64</sup>. Two different keys then share a sum
 * with a probability of 2<sup>-32</sup> at most. (Whole 64-bit words times odd multipliers would
 * not do: flipping the top bit of two words adds 2<sup>63</sup> twice and changes nothing.) The
 * sum is then mixed (SplitMix64's finalizer) and its top 32 bits kept: a sum is linear in the
 * key, so keys that count up in one half have sums that step evenly round 2<sup>64</sup>, and
 * under one seed in a hundred such steps fall nearly in line and pile 20,000 keys into runs
 * taking hundreds of probes a key (StructuredKeysTest). Mixed, they land apart. Format 5 images
 * placed keys by an unkeyed hash ({@link #FORMAT_5}), which open still reads to check them, then
 * indexes their keys anew under a keyed one.
 *
 * <p>Immutable.
 */
final class KeyHash {

  private static final SecureRandom SEEDS = new SecureRandom();

  /** The unkeyed hashes of format 5: read to check an image's tables, never written. */
  static final KeyHash FORMAT_5 = new KeyHash(0, false);

  private static final long LOW = 0xFFFF_FFFFL;

  private final long seed;
  private final boolean keyed;
  /** Multipliers of a digest's eight halves, then the addend. */
  private final long[] digest = new long[9];
  /** Multipliers of an id's four halves, then the addend. */
  private final long[] id = new long[5];

  private KeyHash(long seed, boolean keyed) {
    this.seed = seed;
    this.keyed = keyed;
    for (int i = 0; i < digest.length; i++) {
      digest[i] = drawn(seed, i + 1);
    }
    for (int i = 0; i < id.length; i++) {
      id[i] = drawn(seed, digest.length + i + 1);
    }
  }

  /** A hash under a seed drawn now. */
  static KeyHash fresh() {
    return new KeyHash(SEEDS.nextLong(), true);
  }

  /** The hash under {@code seed}, as an image names it. */
  static KeyHash of(long seed) {
    return new KeyHash(seed, true);
  }

  /** The seed an image keeps this hash by. */
  long seed() {
    if (!keyed) {
      throw new IllegalStateException("the unkeyed hash of format 5 is never written");
    }
    return seed;
  }

  boolean isKeyed() {
    return keyed;
  }

  /** The hash of the digest whose words are {@code w0} to {@code w3}. */
  int digest(long w0, long w1, long w2, long w3) {
    if (!keyed) {
      return (int) (w0 ^ (w0 >>> 32));
    }
    long[] m = digest;
    long sum = m[8] + (w0 & LOW) * m[0] + (w0 >>> 32) * m[1] + (w1 & LOW) * m[2]
        + (w1 >>> 32) * m[3] + (w2 & LOW) * m[4] + (w2 >>> 32) * m[5] + (w3 & LOW) * m[6]
        + (w3 >>> 32) * m[7];
    return (int) (mixed(sum) >>> 32);
  }

  /** The hash of the session id whose halves are {@code high} and {@code low}. */
  int id(long high, long low) {
    if (!keyed) {
      long mixed = high ^ low;
      return (int) (mixed ^ (mixed >>> 32));
    }
    long[] m = id;
    long sum = m[4] + (high & LOW) * m[0] + (high >>> 32) * m[1] + (low & LOW) * m[2]
        + (low >>> 32) * m[3];
    return (int) (mixed(sum) >>> 32);
  }

  /** The {@code n}th number drawn from {@code seed}: SplitMix64, spelled out never to change. */
  private static long drawn(long seed, int n) {
    return mixed(seed + n * 0x9E37_79B9_7F4A_7C15L);
  }

  /** SplitMix64's finalizer: a bijection, each bit of its result hanging on every bit of z. */
  private static long mixed(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public String toString() {
    return keyed ? "KeyHash[keyed]" : "KeyHash[format 5]";
  }
}
