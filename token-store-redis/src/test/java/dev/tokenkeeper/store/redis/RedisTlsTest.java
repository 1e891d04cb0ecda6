package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * {@code rediss://} with a least-privilege ACL user, against a real redis-server listening with
 * TLS on a certificate made at test time ({@code keytool}; nothing secret is committed). The
 * store verifies the chain and the host name against the JVM's trust store, which the test points
 * at that certificate alone.
 */
class RedisTlsTest {

  private static final String STORE_PASSWORD = "test-only-password";
  private static final String ACL_PASSWORD = "acl-test-only-5ecret";
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir static Path dir;
  private static RedisServer server;
  private static int tlsPort;
  private static String savedTrustStore;

  @BeforeAll
  static void startWithTls() throws Exception {
    Path trusted = keystore(dir.resolve("trusted.p12"), "trusted");
    writePem(trusted, "trusted", dir.resolve("redis.crt"), dir.resolve("redis.key"));
    tlsPort = freePort();
    server = RedisServer.start(Files.createDirectories(dir.resolve("redis")), true,
        "--tls-port", Integer.toString(tlsPort),
        "--tls-cert-file", dir.resolve("redis.crt").toString(),
        "--tls-key-file", dir.resolve("redis.key").toString(),
        "--tls-auth-clients", "no");
    try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
      // Only its own keys, no admin commands but INFO for the deployment check.
      admin.aclSetUser("tokens", "on", ">" + ACL_PASSWORD, "~tk:*", "+@all", "-@dangerous",
          "+info");
    }
    savedTrustStore = System.getProperty("javax.net.ssl.trustStore");
    System.setProperty("javax.net.ssl.trustStore", trusted.toString());
    System.setProperty("javax.net.ssl.trustStorePassword", STORE_PASSWORD);
    System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
  }

  @AfterAll
  static void stop() {
    if (savedTrustStore == null) {
      System.clearProperty("javax.net.ssl.trustStore");
    } else {
      System.setProperty("javax.net.ssl.trustStore", savedTrustStore);
    }
    System.clearProperty("javax.net.ssl.trustStorePassword");
    System.clearProperty("javax.net.ssl.trustStoreType");
    if (server != null) {
      server.close();
    }
  }

  @Test
  void rediss_aclUser_issuesAuthenticatesAndRevokesEverywhere() {
    try (RedisTokenStore store = builder("tokens:" + ACL_PASSWORD).build()) {
      TokenService tokens = TokenService.builder().store(store).build();
      IssuedToken issued = tokens.issue("alice", "laptop");
      assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
      assertEquals(1, tokens.revokeAll("alice"));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          tokens.authenticate(issued.plaintext()));
    }
    try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
      assertFalse(admin.keys("tk:*").isEmpty(), "written under the user's own prefix");
    }
  }

  /**
   * The ACL user may not touch keys outside {@code tk:*}: refused when Redis first answers (at
   * build), the message naming no password.
   */
  @Test
  void rediss_aclUserOutsideItsKeys_isRefusedAtBuild_withoutThePasswordInTheMessage() {
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
        () -> builder("tokens:" + ACL_PASSWORD).keyPrefix("other:").build());
    assertTrue(e.getMessage().contains("NOPERM"), e.getMessage());
    assertFalse(e.getMessage().contains(ACL_PASSWORD), e.getMessage());
  }

  @Test
  void rediss_wrongPassword_isRefusedAtBuild_withoutThePasswordInTheMessage() {
    String wrong = "not-the-" + ACL_PASSWORD;
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
        () -> builder("tokens:" + wrong).build());
    assertTrue(e.getMessage().contains("WRONGPASS"), e.getMessage());
    assertFalse(e.getMessage().contains(wrong), e.getMessage());
  }

  /** A server whose certificate the trust store does not hold is never talked to. */
  @Test
  void rediss_untrustedCertificate_isRefused_neverFallsBackToPlaintext() throws Exception {
    Path untrusted = keystore(dir.resolve("untrusted.p12"), "untrusted");
    writePem(untrusted, "untrusted", dir.resolve("other.crt"), dir.resolve("other.key"));
    int port = freePort();
    try (RedisServer other = RedisServer.start(Files.createDirectories(dir.resolve("other")),
        false, "--tls-port", Integer.toString(port),
        "--tls-cert-file", dir.resolve("other.crt").toString(),
        "--tls-key-file", dir.resolve("other.key").toString(),
        "--tls-auth-clients", "no");
        RedisTokenStore store = RedisTokenStore.builder()
            .uri("rediss://127.0.0.1:" + port).connectTimeout(TIMEOUT).socketTimeout(TIMEOUT)
            .build()) {
      TokenService tokens = TokenService.builder().store(store).build();
      assertThrows(StoreUnavailableException.class, () -> tokens.issue("alice"));
      try (Jedis admin = new Jedis("127.0.0.1", other.port())) {
        assertTrue(admin.keys("*").isEmpty(), "nothing was written");
      }
    }
  }

  private static RedisTokenStore.Builder builder(String credentials) {
    return RedisTokenStore.builder().uri("rediss://" + credentials + "@127.0.0.1:" + tlsPort)
        .connectTimeout(TIMEOUT).socketTimeout(TIMEOUT);
  }

  /** A PKCS12 keystore with one self-signed EC key pair for 127.0.0.1, made by keytool. */
  private static Path keystore(Path file, String alias) throws Exception {
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", alias,
        "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=127.0.0.1",
        "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", file.toString(),
        "-storepass", STORE_PASSWORD)).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("keytool failed: " + output);
    }
    return file;
  }

  /** The keystore's certificate and private key as the PEM files redis-server reads. */
  private static void writePem(Path keystore, String alias, Path cert, Path key)
      throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, STORE_PASSWORD.toCharArray());
    }
    Files.writeString(cert, pem("CERTIFICATE", store.getCertificate(alias).getEncoded()));
    Files.writeString(key, pem("PRIVATE KEY",
        store.getKey(alias, STORE_PASSWORD.toCharArray()).getEncoded()));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
