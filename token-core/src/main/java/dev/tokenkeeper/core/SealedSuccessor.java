package dev.tokenkeeper.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pair a refresh made, sealed beside the refresh token it rotated out, so that a retry of that
 * token within the grace window (two tabs, a lost response) gets the very same pair rather than a
 * fork of the session.
 *
 * <p><b>Secrecy.</b> The pair's secrets are encrypted with AES-256-GCM under a key derived from the
 * rotated token's plaintext (HMAC-SHA256 of it with a fixed label), never from the SHA-256 the store
 * keeps: whoever reads the store alone cannot open it, and only a caller presenting the rotated
 * token can. The session id and the rotated token's hash are bound in as associated data, so a
 * sealed pair moved to another record does not open. Stores keep it until {@link #until()} only.
 *
 * <p>Immutable; copies its bytes in and out.
 */
public final class SealedSuccessor {

  /** Longest sealed form accepted from a store. */
  public static final int MAX_LENGTH = 512;

  private static final byte VERSION = 1;
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] KEY_LABEL =
      "tokenkeeper/refresh-successor/v1".getBytes(StandardCharsets.US_ASCII);

  private final byte[] sealed;
  private final Instant until;

  private SealedSuccessor(byte[] sealed, Instant until) {
    this.sealed = sealed;
    this.until = until;
  }

  /**
   * A sealed pair read back from a store.
   *
   * @throws IllegalArgumentException if the bytes cannot be a sealed pair
   */
  public static SealedSuccessor of(byte[] sealed, Instant until) {
    Objects.requireNonNull(sealed, "sealed");
    Objects.requireNonNull(until, "until");
    if (sealed.length <= NONCE + TAG_BITS / 8 || sealed.length > MAX_LENGTH) {
      throw new IllegalArgumentException("a sealed pair is " + (NONCE + TAG_BITS / 8 + 1)
          + " to " + MAX_LENGTH + " bytes: " + sealed.length);
    }
    return new SealedSuccessor(sealed.clone(), until);
  }

  /** The sealed bytes (nonce, ciphertext and tag): a copy. */
  public byte[] bytes() {
    return sealed.clone();
  }

  /** When the grace window ends: the pair may be forgotten from then on. */
  public Instant until() {
    return until;
  }

  /** What a refresh handed out: the two secrets and the instants that rebuild the pair. */
  record Pair(String access, String refresh, Instant usedAt, Instant accessEnd,
      Instant refreshEnd) {

    @Override
    public String toString() {
      return "Pair[secrets omitted]";
    }
  }

  static SealedSuccessor seal(String rotatedPlaintext, SessionId session, TokenHash rotated,
      Pair pair, Instant until, SecureRandom random) {
    byte[] access = pair.access().getBytes(StandardCharsets.US_ASCII);
    byte[] refresh = pair.refresh().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer plain = ByteBuffer.allocate(1 + 2 + access.length + 2 + refresh.length + 3 * 12);
    plain.put(VERSION).putShort((short) access.length).put(access)
        .putShort((short) refresh.length).put(refresh);
    putInstant(plain, pair.usedAt());
    putInstant(plain, pair.accessEnd());
    putInstant(plain, pair.refreshEnd());
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, rotatedPlaintext, nonce);
      cipher.updateAAD(associatedData(session, rotated));
      byte[] body = cipher.doFinal(plain.array());
      Arrays.fill(plain.array(), (byte) 0);
      byte[] out = new byte[NONCE + body.length];
      System.arraycopy(nonce, 0, out, 0, NONCE);
      System.arraycopy(body, 0, out, NONCE, body.length);
      return new SealedSuccessor(out, until);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable in this JVM", e);
    }
  }

  /** The pair, if {@code rotatedPlaintext} is the token this was sealed beside; else empty. */
  Optional<Pair> open(String rotatedPlaintext, SessionId session, TokenHash rotated) {
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, rotatedPlaintext,
          Arrays.copyOf(sealed, NONCE));
      cipher.updateAAD(associatedData(session, rotated));
      ByteBuffer plain = ByteBuffer.wrap(cipher.doFinal(sealed, NONCE, sealed.length - NONCE));
      if (plain.get() != VERSION) {
        return Optional.empty();
      }
      String access = getAscii(plain);
      String refresh = getAscii(plain);
      return Optional.of(new Pair(access, refresh, getInstant(plain), getInstant(plain),
          getInstant(plain)));
    } catch (GeneralSecurityException | RuntimeException e) {
      // A wrong key, damaged bytes or a record from elsewhere: no pair, never an exception.
      return Optional.empty();
    }
  }

  private static Cipher cipher(int mode, String rotatedPlaintext, byte[] nonce)
      throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(rotatedPlaintext.getBytes(StandardCharsets.US_ASCII),
        "HmacSHA256"));
    byte[] key = mac.doFinal(KEY_LABEL);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    Arrays.fill(key, (byte) 0);
    return cipher;
  }

  private static byte[] associatedData(SessionId session, TokenHash rotated) {
    byte[] id = session.value().getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(id.length + 1 + TokenHash.SHA256_LENGTH)
        .put(id).put((byte) rotated.scheme()).put(rotated.bytes()).array();
  }

  private static void putInstant(ByteBuffer buffer, Instant instant) {
    buffer.putLong(instant.getEpochSecond()).putInt(instant.getNano());
  }

  private static Instant getInstant(ByteBuffer buffer) {
    return Instant.ofEpochSecond(buffer.getLong(), buffer.getInt());
  }

  private static String getAscii(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.getShort()];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SealedSuccessor other
        && until.equals(other.until) && Arrays.equals(sealed, other.sealed);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(sealed) + until.hashCode();
  }

  @Override
  public String toString() {
    return "SealedSuccessor[" + sealed.length + " bytes, until " + until + "]";
  }
}
