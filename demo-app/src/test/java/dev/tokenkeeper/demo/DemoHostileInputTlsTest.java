package dev.tokenkeeper.demo;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoHostileInputTest}'s raw requests, sent over TLS to the HTTPS listener. */
class DemoHostileInputTlsTest extends DemoHostileInputTest {

  @TempDir static Path tlsDir;

  @BeforeAll
  static void start() throws Exception {
    TestKeystore keystore = TestKeystore.create(tlsDir);
    server = keystore.startDemo(tlsDir, Clock.systemUTC(), List.of());
    sockets = keystore.trusting.getSocketFactory();
    token = new DemoClient(server.uri(), keystore.clientBuilder())
        .token("alice@example.com", "wonderland");
  }
}
