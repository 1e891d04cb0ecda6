package dev.tokenkeeper.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.FaultInjector;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.file.FileTokenStore;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.util.FileSystemUtils;

/**
 * The example's API over real HTTP on Boot's embedded server. Its store is the file store behind
 * a {@link FaultInjector}, so a test can make the store fail as a dead disk or network would; the
 * application's own TokenStore bean also shows the auto-configured one backing off.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExampleApiTest {

  private static final Path DIRECTORY = Http.temporaryDirectory();
  private static final FaultInjector FAULTS = FaultInjector.scripted();

  @TestConfiguration
  static class FailingStore {
    @Bean
    TokenStore tokenStore() {
      return FAULTS.wrap(FileTokenStore.open(DIRECTORY));
    }
  }

  @LocalServerPort
  int port;

  @AfterAll
  static void deleteDirectory() throws IOException {
    FileSystemUtils.deleteRecursively(DIRECTORY);
  }

  @Test
  void storeDown_authenticatedRequest_gets503WithRetryAfter_thenWorksAgain() throws Exception {
    String token = Http.login(port);
    FAULTS.failNext(FaultInjector.Step.FIND, FaultInjector.When.BEFORE);

    HttpResponse<String> down = Http.get(port, "/api/notes", token);

    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(down.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(down.body()).contains("\"error\":\"temporarily_unavailable\"");
    // An outage is not a logout: the same token works once the store answers.
    assertThat(Http.get(port, "/api/notes", token).statusCode()).isEqualTo(200);
  }

  @Test
  void storeDown_login_gets503_andNoToken() throws Exception {
    FAULTS.failNext(FaultInjector.Step.CREATE, FaultInjector.When.BEFORE);

    HttpResponse<String> response = Http.post(port, "/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"wonderland\"}");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(response.body()).doesNotContain("access_token");
  }

  @Test
  void madeUpToken_isRefusedAsInvalidToken() throws Exception {
    RestartTest.assertRefused(Http.get(port, "/api/notes", "tk_thisIsNotATokenAnyoneWasGiven"));
  }

  @Test
  void noToken_isAskedForOne_withoutAnError() throws Exception {
    HttpResponse<String> response = Http.get(port, "/api/notes", null);
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer").doesNotContain("error=");
  }

  @Test
  void wrongPassword_isRefused_withoutToken() throws Exception {
    HttpResponse<String> response = Http.post(port, "/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"guess\"}");
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).doesNotContain("access_token");
  }
}
