package dev.tokenkeeper.demo;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The demo's two accounts, held as salted PBKDF2-HMAC-SHA512 hashes (OWASP's 210,000 iterations),
 * never as plain passwords. Checking an unknown user costs the same as a wrong password, so timing
 * does not tell which usernames exist.
 */
final class Accounts {

  private static final String ALGORITHM = "PBKDF2WithHmacSHA512";
  private static final int ITERATIONS = 210_000;
  private static final int KEY_BITS = 256;

  private record Credential(byte[] salt, byte[] hash) {}

  // alice@example.com / wonderland and bob@example.com / builder, as the README says.
  private static final Map<String, Credential> USERS = Map.of(
      "alice@example.com", credential(
          "nd0drwd+Zf5PHuF1OLzkdA==", "AbN2fvmdZTU4b71/XpAu6EeC25tDuIoBHOfensz9YQ8="),
      "bob@example.com", credential(
          "nLeWrbGdeP1jzd2q3EMjpQ==", "amVNU5jc8XksaPPEKDtwzfBptNDlidhFBBE1HE0ssKg="));

  /** Compared against when the user is unknown, so the cost is the same. */
  private static final Credential DECOY = credential(
      "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

  private Accounts() {}

  /** The usernames that exist. */
  static Set<String> usernames() {
    return USERS.keySet();
  }

  static boolean exists(String username) {
    return USERS.containsKey(username);
  }

  /** Whether {@code password} is {@code username}'s; constant time in the password. */
  static boolean verify(String username, String password) {
    Credential credential = USERS.get(username);
    boolean known = credential != null;
    byte[] actual = pbkdf2(password, (known ? credential : DECOY).salt);
    return MessageDigest.isEqual(actual, (known ? credential : DECOY).hash) && known;
  }

  static byte[] pbkdf2(String password, byte[] salt) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, KEY_BITS);
    try {
      return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  private static Credential credential(String salt, String hash) {
    return new Credential(Base64.getDecoder().decode(salt), Base64.getDecoder().decode(hash));
  }
}
