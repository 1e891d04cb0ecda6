package dev.tokenkeeper.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * OWASP's device cookies: after a successful login the browser or app gets a cookie naming the
 * user, signed with a key only the server holds. A login that presents a valid one for the same
 * user is from a client that proved itself before, and is limited on its own (per device), so an
 * attack on the user from elsewhere does not lock its owner out.
 *
 * <p>Value: {@code v1.<nonce>.<mac>}, base64url, the MAC an HMAC-SHA256 over the lower-cased
 * username and the nonce. The key is 32 random bytes in {@code device.key} in the data directory
 * (created owner-only), so cookies survive restarts. Thread-safe.
 */
final class DeviceCookies {

  static final String NAME = "tk_device";
  static final String KEY_FILE = "device.key";
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();
  private final boolean secure;

  private DeviceCookies(byte[] key, boolean secure) {
    this.key = new SecretKeySpec(key, ALGORITHM);
    this.secure = secure;
  }

  /**
   * Loads the key from {@code dataDir}, creating it on first use. The key is written to a
   * temporary file, forced, and linked into place in one step, so a crash at any point leaves
   * either no key (made afresh on the next start) or a whole one, never a short file.
   */
  static DeviceCookies open(Path dataDir, boolean secure) throws IOException {
    Path file = dataDir.resolve(KEY_FILE);
    if (!Files.exists(file)) {
      byte[] fresh = new byte[32];
      new SecureRandom().nextBytes(fresh);
      Path temp = dataDir.resolve(KEY_FILE + ".tmp-" + ProcessHandle.current().pid());
      try {
        Files.deleteIfExists(temp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
          Files.createFile(temp,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
          Files.createFile(temp);
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
          channel.write(ByteBuffer.wrap(fresh));
          channel.force(true);
        }
        // A hard link never replaces: an instance that made the key first keeps it, ours goes.
        Files.createLink(file, temp);
        forceDirectory(dataDir);
      } catch (FileAlreadyExistsException e) {
        // another instance made it first; read theirs
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    byte[] key = Files.readAllBytes(file);
    if (key.length != 32) {
      throw new IOException(file + " must hold 32 bytes, not " + key.length
          + "; delete it to make a new key (device cookies issued so far stop counting)");
    }
    return new DeviceCookies(key, secure);
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot force a directory; the rename is still atomic there.
    }
  }

  /** A {@code Set-Cookie} value proving this client logged in as {@code userKey}. */
  String issue(String userKey) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    String encoded = B64.encodeToString(nonce);
    return NAME + "=v1." + encoded + "." + B64.encodeToString(mac(userKey, encoded))
        + "; Path=/auth/login; Max-Age=31536000; HttpOnly; SameSite=Strict"
        + (secure ? "; Secure" : "");
  }

  /**
   * The device's nonce if {@code cookieHeader} carries a valid device cookie for
   * {@code userKey}; the MAC is compared in constant time.
   */
  Optional<String> verify(String userKey, String cookieHeader) {
    if (cookieHeader == null || cookieHeader.length() > 4096) {
      return Optional.empty();
    }
    for (String pair : cookieHeader.split(";")) {
      String[] parts = pair.strip().split("\\.", -1);
      if (parts.length == 3 && parts[0].equals(NAME + "=v1")
          && MessageDigest.isEqual(parts[2].getBytes(StandardCharsets.US_ASCII),
              B64.encodeToString(mac(userKey, parts[1])).getBytes(StandardCharsets.US_ASCII))) {
        return Optional.of(parts[1]);
      }
    }
    return Optional.empty();
  }

  private byte[] mac(String userKey, String nonce) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal((userKey + "\n" + nonce).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is missing from this JDK", e);
    }
  }
}
