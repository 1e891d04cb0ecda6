package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** A store outage fails every request; the log says so once per 30 s, not once per request. */
class OutageLogTest {

  @Test
  void storeDown_manyRequests_oneErrorPer30Seconds() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    String token = TokenService.builder().store(new CountingTokenStore()).build()
        .issue("alice").plaintext();
    TokenService broken = TokenService.builder().store(new FailingTokenStore()).build();
    CapturedLogs.clear();
    try (TestServer server =
        TestServer.start(BearerTokenFilter.builder(broken).clock(clock).build())) {
      for (int i = 0; i < 5; i++) {
        assertEquals(503, server.getWithToken("/api", token).statusCode());
      }
      assertEquals(1, errors());
      clock.advance(Duration.ofSeconds(30));
      assertEquals(503, server.getWithToken("/api", token).statusCode());
      assertEquals(2, errors());
    }
  }

  private static long errors() {
    return CapturedLogs.lines().stream()
        .filter(line -> line.level() == Level.ERROR && line.text().contains("answering 503"))
        .count();
  }
}
