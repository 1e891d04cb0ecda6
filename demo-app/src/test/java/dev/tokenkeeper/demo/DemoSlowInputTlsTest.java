package dev.tokenkeeper.demo;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoSlowInputTest}'s slow, oversized and cut-short bodies, sent to the HTTPS listener. */
class DemoSlowInputTlsTest extends DemoSlowInputTest {

  @TempDir static Path tlsDir;

  @BeforeAll
  static void start() throws Exception {
    TestKeystore keystore = TestKeystore.create(tlsDir);
    server = keystore.startDemo(tlsDir, Clock.systemUTC(), List.of());
    sockets = keystore.trusting.getSocketFactory();
    client = new DemoClient(server.uri(), keystore.clientBuilder());
    token = client.token("alice@example.com", "wonderland");
  }
}
