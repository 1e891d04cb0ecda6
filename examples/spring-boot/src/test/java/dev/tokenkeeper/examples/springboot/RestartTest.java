package dev.tokenkeeper.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

/**
 * The example on Boot's embedded server, over real HTTP, across restarts: each test runs in a new
 * application context on the same store directory (the previous one closed, its store with it, as
 * in a redeploy), in order. A login survives a restart; a logout survives one too.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestartTest {

  private static final Path DIRECTORY = Http.temporaryDirectory();

  /** Alice's token, carried from one life of the application to the next. */
  private static String token;

  @DynamicPropertySource
  static void storeDirectory(DynamicPropertyRegistry registry) {
    registry.add("tokenkeeper.store.file.directory", DIRECTORY::toString);
  }

  @LocalServerPort
  int port;

  @AfterAll
  static void deleteDirectory() throws IOException {
    FileSystemUtils.deleteRecursively(DIRECTORY);
  }

  @Test
  @Order(1)
  void login_thenAuthenticatedCall() throws Exception {
    token = Http.login(port);
    assertThat(Http.post(port, "/api/notes", token, "{\"text\":\"survive a restart\"}")
        .statusCode()).isEqualTo(200);
  }

  @Test
  @Order(2)
  void afterRestart_tokenStillWorks_thenLogout_refusesIt() throws Exception {
    assertThat(token).as("the token from the first life").isNotNull();
    HttpResponse<String> notes = Http.get(port, "/api/notes", token);
    assertThat(notes.statusCode()).isEqualTo(200);
    assertThat(notes.body()).contains("\"user\":\"alice@example.com\"");

    assertThat(Http.post(port, "/auth/logout", token, "").statusCode()).isEqualTo(204);
    assertRefused(Http.get(port, "/api/notes", token));
  }

  @Test
  @Order(3)
  void afterLogoutAndRestart_tokenStaysRefused() throws Exception {
    assertThat(token).as("the token from the first life").isNotNull();
    assertRefused(Http.get(port, "/api/notes", token));
  }

  static void assertRefused(HttpResponse<String> response) {
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer error=\"invalid_token\"");
  }
}
