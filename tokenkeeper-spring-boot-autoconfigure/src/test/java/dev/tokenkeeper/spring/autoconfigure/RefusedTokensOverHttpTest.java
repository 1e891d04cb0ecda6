package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Every kind of refused token, sent over real HTTP to an application whose chain is the standard
 * {@code opaqueToken(withDefaults())}, answers 401 {@code error="invalid_token"}: never a 500, a
 * stack trace or a pass. Tokens are bound to their user agent here, so one kind is a token sent
 * by another client. (An expired one: {@link RefreshOverHttpTest}.)
 */
@SpringBootTest(classes = RefreshOverHttpTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"tokenkeeper.store.type=memory", "tokenkeeper.web.endpoints.enabled=true",
        "tokenkeeper.binding.user-agent=true"})
class RefusedTokensOverHttpTest {

  @LocalServerPort
  int port;

  private Http http() {
    return new Http(port);
  }

  private static void assertRefused(String kind, HttpResponse<String> response) {
    assertThat(response.statusCode()).as(kind).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate")).as(kind).hasValueSatisfying(
        challenge -> assertThat(challenge).startsWith("Bearer error=\"invalid_token\""));
    assertThat(response.body()).as(kind).doesNotContain("Exception").doesNotContain("at dev.");
  }

  @Test
  void everyRefusedKind_401InvalidToken() throws Exception {
    HttpResponse<String> pair = http().login("alice@example.com");
    String access = Http.field(pair, "access_token");
    String revoked = Http.field(http().login("alice@example.com"), "access_token");
    assertThat(http().post("/auth/logout", revoked, "").statusCode()).isEqualTo(204);
    String unknown = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("alice@example.com").plaintext();

    String[][] refused = {
        {"unknown", unknown},
        {"revoked", revoked},
        {"malformed", "abc"},
        {"the refresh token", Http.field(pair, "refresh_token")},
        {"one character changed", access.substring(0, access.length() - 1)
            + (access.endsWith("A") ? "B" : "A")},
        {"padded", access + "="},
        {"absurdly long, still under the server's header limit", "a".repeat(7_000)},
        {"odd characters", "\"'<>{}|\\^`"},
        {"empty", ""}};
    for (String[] kind : refused) {
      assertRefused(kind[0], http().get("/auth/sessions", kind[1]));
    }
    assertRefused("another client's user agent",
        http().get("/auth/sessions", access, "another-client"));
    assertThat(http().get("/auth/sessions", access).statusCode()).isEqualTo(200);
  }
}
