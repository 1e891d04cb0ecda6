package dev.tokenkeeper.core;

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
 */
public final class TokenHash {

  /** Scheme 1: SHA-256 over the UTF-8 bytes of the whole presented token. */
  public static final int SHA256 = 1;

  /** Length in bytes of a {@link #SHA256} digest. */
  public static final int SHA256_LENGTH = 32;

  private final int scheme;
  private final byte[] digest;
  private final int hashCode;

  private TokenHash(int scheme, byte[] digest) {
    this.scheme = scheme;
    this.digest = digest;
    // The digest is uniformly distributed, so its first bytes make a good hash code.
    this.hashCode = 31 * scheme + (digest[0] << 24 | (digest[1] & 0xff) << 16
        | (digest[2] & 0xff) << 8 | (digest[3] & 0xff));
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
    return new TokenHash(scheme, digest.clone());
  }

  /**
   * Hashes any presented string with the current scheme. Safe on arbitrary input; adapters use it
   * to log a {@link #fingerprint()} of a token they refuse, never the token itself.
   */
  public static TokenHash sha256(CharSequence presented) {
    Objects.requireNonNull(presented, "presented");
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest(presented.toString().getBytes(StandardCharsets.UTF_8));
      return new TokenHash(SHA256, digest);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }

  /** The hash scheme's version. */
  public int scheme() {
    return scheme;
  }

  /** A copy of the digest bytes. */
  public byte[] bytes() {
    return digest.clone();
  }

  /** The first 8 hex digits of the digest: enough to correlate log lines, useless to an attacker. */
  public String fingerprint() {
    return HexFormat.of().formatHex(digest, 0, 4);
  }

  /** Compares in time independent of where the digests differ. */
  @Override
  public boolean equals(Object o) {
    return o instanceof TokenHash other
        && scheme == other.scheme
        && MessageDigest.isEqual(digest, other.digest);
  }

  @Override
  public int hashCode() {
    return hashCode;
  }

  @Override
  public String toString() {
    return "TokenHash[" + fingerprint() + "]";
  }
}
