package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.MutableClock;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoHeaderFuzzing}'s fuzzed header lines, sent over TLS to the HTTPS listener. */
class DemoHeaderFuzzTlsTest extends DemoHeaderFuzzing {

  @TempDir static Path tlsDir;

  @BeforeAll
  static void startTls() throws Exception {
    TestKeystore keystore = TestKeystore.create(tlsDir);
    clock = MutableClock.startingAt2026();
    server = keystore.startDemo(tlsDir, clock, List.of("127.0.0.1/32"));
    sockets = keystore.trusting.getSocketFactory();
    client = new DemoClient(server.uri(), keystore.clientBuilder());
    token = client.token("alice@example.com", "wonderland");
  }
}
