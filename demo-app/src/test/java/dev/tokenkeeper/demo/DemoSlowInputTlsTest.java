package dev.tokenkeeper.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoSlowInputTest}'s slow, oversized and cut-short bodies, sent to the HTTPS listener. */
class DemoSlowInputTlsTest extends DemoSlowInputTest {

  @TempDir static Path tlsDir;

  @BeforeAll
  static void start() throws Exception {
    TestKeystore keystore = TestKeystore.create(tlsDir);
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", tlsDir.resolve("data"), null,
        false, List.of(), keystore.file, false, SessionCap.DEFAULT_MAX), Clock.systemUTC(),
        Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD), Accounts::verify);
    sockets = keystore.trusting.getSocketFactory();
    client = new DemoClient(server.uri(), keystore.clientBuilder());
    token = client.token("alice@example.com", "wonderland");
  }
}
