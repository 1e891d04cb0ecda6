package dev.tokenkeeper.demo;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoSlowInputTest}'s slow, oversized and cut-short bodies, sent to the HTTPS listener. */
class DemoSlowInputTlsTest extends DemoSlowInputTest {

  @TempDir static Path tlsDir;

  /**
   * Replaces the plain server: JUnit runs the superclass's static {@code @BeforeAll} first even
   * for this class, so it is closed here rather than left running beside the HTTPS one.
   */
  @BeforeAll
  static void startTls() throws Exception {
    server.close();
    TestKeystore keystore = TestKeystore.create(tlsDir);
    server = keystore.startDemo(tlsDir, Clock.systemUTC(), List.of());
    sockets = keystore.trusting.getSocketFactory();
    client = new DemoClient(server.uri(), keystore.clientBuilder());
    token = client.token("alice@example.com", "wonderland");
  }
}
