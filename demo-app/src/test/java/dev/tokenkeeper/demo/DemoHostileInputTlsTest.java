package dev.tokenkeeper.demo;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoHostileInputTest}'s raw requests, sent over TLS to the HTTPS listener. */
class DemoHostileInputTlsTest extends DemoHostileInputTest {

  @TempDir static Path tlsDir;

  @BeforeAll
  static void start() throws Exception {
    TestKeystore keystore = TestKeystore.create(tlsDir);
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", tlsDir.resolve("data"), null,
        false, List.of(), keystore.file, false, SessionCap.DEFAULT_MAX), Clock.systemUTC(),
        Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD), Accounts::verify);
    sockets = keystore.trusting.getSocketFactory();
    token = new DemoClient(server.uri(), keystore.clientBuilder())
        .token("alice@example.com", "wonderland");
  }
}
