package dev.tokenkeeper.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The digest of a token secret, which is all a {@link TokenStore} ever sees. The secret itself is
 * never stored, so stealing a store's contents does not steal its sessions.
 *
 * <p>Each hash carries the version of the scheme that produced it ({@link #SHA256} today), so a
 * future change of scheme can be migrated record by record without logging everyone out.
 *
 * <p>Immutable; bytes are copied in and out. {@link #toString()} prints only a short fingerprint.
 * {@link #equals} takes the same time wherever two digests differ.
 */
public final class TokenHash {

  /** Scheme 1: SHA-256 over the UTF-8 bytes of the whole presented token. */
  public static final int SHA256 = 1;

  /** Length in bytes of a {@link #SHA256} digest. */
  public static final int SHA256_LENGTH = 32;

  private final int scheme;
  // The digest as four longs rather than a byte[]: one object less per stored token, so a lookup
  // among millions of tokens follows one pointer fewer and each record costs 16 bytes less heap.
  private final long d0;
  private final long d1;
  private final long d2;
  private final long d3;

  private TokenHash(int scheme, long d0, long d1, long d2, long d3) {
    this.scheme = scheme;
    this.d0 = d0;
    this.d1 = d1;
    this.d2 = d2;
    this.d3 = d3;
  }

  private TokenHash(int scheme, byte[] digest) {
    this.scheme = scheme;
    ByteBuffer buffer = ByteBuffer.wrap(digest);
    this.d0 = buffer.getLong();
    this.d1 = buffer.getLong();
    this.d2 = buffer.getLong();
    this.d3 = buffer.getLong();
  }

  /**
   * Rebuilds a hash read back from storage.
   *
   * @throws IllegalArgumentException if the scheme is unknown or the digest has the wrong length
   */
  public static TokenHash of(int scheme, byte[] digest) {
    Objects.requireNonNull(digest, "digest");
    if (scheme != SHA256) {
      throw new IllegalArgumentException("unknown hash scheme: " + scheme);
    }
    if (digest.length != SHA256_LENGTH) {
      throw new IllegalArgumentException(
          "SHA-256 digest must be " + SHA256_LENGTH + " bytes: " + digest.length);
    }
    return new TokenHash(scheme, digest);
  }

  /**
   * Rebuilds a {@link #SHA256} hash from its digest as four big-endian {@code long}s
   * ({@link #word}): for a store that keeps digests in primitive layouts.
   */
  public static TokenHash sha256Words(long w0, long w1, long w2, long w3) {
    return new TokenHash(SHA256, w0, w1, w2, w3);
  }

  /**
   * Word {@code index} (0 to 3) of the digest: its bytes {@code 8 * index} to {@code 8 * index + 7},
   * big-endian.
   *
   * @throws IndexOutOfBoundsException if {@code index} is not 0 to 3
   */
  public long word(int index) {
    switch (index) {
      case 0: return d0;
      case 1: return d1;
      case 2: return d2;
      case 3: return d3;
      default: throw new IndexOutOfBoundsException("digest word " + index + " of 4");
    }
  }

  /**
   * Hashes any presented string with the current scheme. Safe on arbitrary input; adapters use it
   * to log a {@link #fingerprint()} of a token they refuse, never the token itself.
   */
  public static TokenHash sha256(CharSequence presented) {
    Objects.requireNonNull(presented, "presented");
    // One digest per thread: looking up a provider's MessageDigest costs as much as hashing a
    // token. digest() leaves it reset for the next call.
    byte[] digest = SHA_256.get().digest(presented.toString().getBytes(StandardCharsets.UTF_8));
    return new TokenHash(SHA256, digest);
  }

  /**
   * {@link #sha256} of a token whose characters are all ASCII, from their bytes as
   * {@link TokenFormat#bytesOf} copied them: for such a token they are its UTF-8 bytes, so the
   * request path copies the token once for its format check and its hash.
   */
  static TokenHash sha256OfAscii(byte[] ascii) {
    return new TokenHash(SHA256, SHA_256.get().digest(ascii));
  }

  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  });

  /** The hash scheme's version. */
  public int scheme() {
    return scheme;
  }

  /** A copy of the digest bytes. */
  public byte[] bytes() {
    return ByteBuffer.allocate(SHA256_LENGTH).putLong(d0).putLong(d1).putLong(d2).putLong(d3)
        .array();
  }

  /** The first 8 hex digits of the digest: enough to correlate log lines, useless to an attacker. */
  public String fingerprint() {
    return HexFormat.of().toHexDigits((int) (d0 >>> 32));
  }

  /** Compares in time independent of where the digests differ. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TokenHash other)) {
      return false;
    }
    long difference = (d0 ^ other.d0) | (d1 ^ other.d1) | (d2 ^ other.d2) | (d3 ^ other.d3);
    return scheme == other.scheme & difference == 0;
  }

  /** The digest is uniformly distributed, so its first bits make a good hash code. */
  @Override
  public int hashCode() {
    return 31 * scheme + (int) (d0 >>> 32);
  }

  @Override
  public String toString() {
    return "TokenHash[" + fingerprint() + "]";
  }
}
