package dev.tokenkeeper.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The demo's HTTPS: a PKCS12 keystore, TLS 1.2 and 1.3 only, Jetty's default cipher suites, and
 * {@code Strict-Transport-Security} on every answer.
 */
final class Tls {

  /** One year, as browsers' preload lists ask. */
  static final long HSTS_MAX_AGE_SECONDS = 31_536_000;

  private Tls() {}

  /**
   * A server context for {@code keystore}, opened now so a wrong password or file fails at start.
   *
   * @throws IllegalArgumentException if the password is missing or the keystore cannot be opened
   *     with it; the message names the file, never the password
   */
  static SslContextFactory.Server contextFactory(Path keystore, String password) {
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("--tls-keystore needs the keystore password in the"
          + " environment variable " + DemoOptions.TLS_PASSWORD_ENV);
    }
    KeyStore store;
    try (InputStream in = Files.newInputStream(keystore)) {
      store = KeyStore.getInstance("PKCS12");
      store.load(in, password.toCharArray());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("--tls-keystore " + keystore
          + ": cannot open it as a PKCS12 keystore with the password in "
          + DemoOptions.TLS_PASSWORD_ENV + " (" + e.getClass().getSimpleName() + ")");
    }
    SslContextFactory.Server factory = new SslContextFactory.Server();
    factory.setKeyStore(store);
    factory.setKeyStorePassword(password);
    factory.setKeyManagerPassword(password);
    factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    return factory;
  }

  /** Marks requests secure and sends {@code Strict-Transport-Security} on every answer. */
  static SecureRequestCustomizer strictTransportSecurity() {
    return new SecureRequestCustomizer(false, HSTS_MAX_AGE_SECONDS, false);
  }
}
