package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.MutableClock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoHeaderFuzzTest}'s fuzzed header lines, sent over TLS to the HTTPS listener. */
class DemoHeaderFuzzTlsTest extends DemoHeaderFuzzTest {

  @TempDir static Path tlsDir;

  @BeforeAll
  static void start() throws Exception {
    TestKeystore keystore = TestKeystore.create(tlsDir);
    clock = MutableClock.startingAt2026();
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", tlsDir.resolve("data"), null,
        false, List.of("127.0.0.1/32"), keystore.file, false, SessionCap.DEFAULT_MAX), clock,
        Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD), Accounts::verify);
    sockets = keystore.trusting.getSocketFactory();
    client = new DemoClient(server.uri(), keystore.clientBuilder());
    token = client.token("alice@example.com", "wonderland");
  }
}
