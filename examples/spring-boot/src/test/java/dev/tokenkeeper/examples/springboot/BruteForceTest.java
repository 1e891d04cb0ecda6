package dev.tokenkeeper.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The example's brute-force limit, set by one property, with the limiter the starter brings: past
 * it, the guessing address gets 429 with Retry-After (not 401), whatever it sends. The limit is
 * lowered to 3 here so the test guesses little, and the window widened so that no slow machine
 * sees it end mid-test; sessions are kept in memory, since no restart is tested.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"tokenkeeper.limits.failure-limit=3", "tokenkeeper.limits.failure-window=10m",
        "tokenkeeper.store.type=memory"})
class BruteForceTest {

  @LocalServerPort
  int port;

  @Test
  void guessingTokens_pastTheLimit_gets429WithRetryAfter_evenWithAValidToken() throws Exception {
    String token = Http.login(port);
    for (int i = 0; i < 3; i++) {
      RestartTest.assertRefused(Http.get(port, "/api/notes", "tk_guess" + i));
    }

    HttpResponse<String> guess = Http.get(port, "/api/notes", "tk_guess3");
    assertThat(guess.statusCode()).isEqualTo(429);
    assertThat(Long.parseLong(guess.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1L, 600L);
    assertThat(guess.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(guess.body()).contains("\"error\":\"too_many_requests\"");
    // Checked before the lookup: the address waits out its window, whatever it presents.
    assertThat(Http.get(port, "/api/notes", token).statusCode()).isEqualTo(429);
  }
}
