package dev.tokenkeeper.demo;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway PKCS12 keystore made by the JDK's {@code keytool} at test time, as the README's
 * walkthrough makes one, and clients that trust only it. Nothing secret is committed.
 */
final class TestKeystore {

  static final String PASSWORD = "test-only-password";

  final Path file;
  final SSLContext trusting;

  private TestKeystore(Path file, SSLContext trusting) {
    this.file = file;
    this.trusting = trusting;
  }

  static TestKeystore create(Path dir) throws Exception {
    Path file = dir.resolve("demo.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "demo",
        "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", file.toString(), "-storepass", PASSWORD))
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new AssertionError("keytool failed: " + output);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return new TestKeystore(file, context);
  }

  /**
   * Starts the demo serving HTTPS only with this keystore, its data under {@code dir}: how the
   * TLS variants of the hostile-client suites start their server.
   */
  DemoServer startDemo(Path dir, Clock clock, List<String> trustedProxies) throws Exception {
    return DemoServer.start(new DemoOptions(0, "127.0.0.1", dir.resolve("data"), null, false,
        trustedProxies, file, false, SessionCap.DEFAULT_MAX), clock,
        Map.of(DemoOptions.TLS_PASSWORD_ENV, PASSWORD), Accounts::verify);
  }

  HttpClient.Builder clientBuilder() {
    return HttpClient.newBuilder().sslContext(trusting);
  }
}
