package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.MutableClock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.SocketFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link DemoHeaderFuzzing}'s fuzzed header lines, sent to the plain HTTP listener. */
class DemoHeaderFuzzTest extends DemoHeaderFuzzing {

  @TempDir static Path dataDir;

  @BeforeAll
  static void startPlain() throws Exception {
    clock = MutableClock.startingAt2026();
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false,
        List.of("127.0.0.1/32"), null, false, SessionCap.DEFAULT_MAX), clock, Map.of(),
        Accounts::verify);
    sockets = SocketFactory.getDefault();
    client = new DemoClient(server.uri());
    token = client.token("alice@example.com", "wonderland");
  }
}
