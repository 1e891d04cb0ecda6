package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request grammar of RFC 6750 section 2, case by case, through a real Jetty and client: each
 * row gives the Authorization headers (GOOD stands for a valid token), a query string, and the
 * expected status and {@code WWW-Authenticate} value ({@code null}: none).
 */
class HeaderGrammarTest {

  private static final String GOOD = "{good}";
  private static final String NONE = BearerTokenFilterTest.NO_CREDENTIALS_CHALLENGE;
  private static final String INVALID = BearerTokenFilterTest.INVALID_TOKEN_CHALLENGE;
  private static final String SEVERAL_HEADERS = "Bearer realm=\"tokenkeeper\", "
      + "error=\"invalid_request\", error_description=\"more than one Authorization header\"";
  private static final String TWO_METHODS = "Bearer realm=\"tokenkeeper\", "
      + "error=\"invalid_request\", error_description=\"more than one method used to send the"
      + " access token\"";

  private static TokenService tokens;
  private static String good;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    tokens = TokenService.builder().store(new InMemoryTokenStore()).build();
    good = tokens.issue("alice").plaintext();
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .failureLimit(10_000, Duration.ofMinutes(1))
        .build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        row("no header", List.of(), "", 401, NONE),
        row("scheme as registered", List.of("Bearer " + GOOD), "", 200, null),
        row("scheme in lower case", List.of("bearer " + GOOD), "", 200, null),
        row("scheme in upper case", List.of("BEARER " + GOOD), "", 200, null),
        row("scheme in mixed case", List.of("bEaReR " + GOOD), "", 200, null),
        row("several spaces after the scheme", List.of("Bearer    " + GOOD), "", 200, null),
        row("optional whitespace around the value", List.of("  Bearer " + GOOD + "  "), "", 200,
            null),
        row("scheme without token", List.of("Bearer"), "", 401, INVALID),
        row("tab instead of space", List.of("Bearer\t" + GOOD), "", 401, INVALID),
        row("space inside the token", List.of("Bearer abc def"), "", 401, INVALID),
        row("illegal character $", List.of("Bearer abc$def"), "", 401, INVALID),
        row("illegal character ,", List.of("Bearer abc,def"), "", 401, INVALID),
        row("illegal character \"", List.of("Bearer \"abc\""), "", 401, INVALID),
        row("non-ASCII character", List.of("Bearer abc\u00e9"), "", 401, INVALID),
        row("padding inside the token", List.of("Bearer ab=cd"), "", 401, INVALID),
        row("padding only", List.of("Bearer =="), "", 401, INVALID),
        row("padding at the end, unknown token", List.of("Bearer abcd=="), "", 401, INVALID),
        row("padding after a valid token", List.of("Bearer " + GOOD + "="), "", 401, INVALID),
        row("every b64token character", List.of("Bearer aZ09-._~+/="), "", 401, INVALID),
        row("token longer than 1024", List.of("Bearer " + "a".repeat(1025)), "", 401, INVALID),
        row("auth-param form", List.of("Bearer token=\"abc\""), "", 401, INVALID),
        row("Basic scheme", List.of("Basic YWxpY2U6c2VjcmV0"), "", 401, NONE),
        row("scheme glued to the token", List.of("Bearer" + GOOD), "", 401, NONE),
        row("two Bearer headers", List.of("Bearer " + GOOD, "Bearer " + GOOD), "", 400,
            SEVERAL_HEADERS),
        row("Bearer and Basic headers", List.of("Bearer " + GOOD, "Basic YWxpY2U6c2VjcmV0"), "",
            400, SEVERAL_HEADERS),
        row("header plus query token", List.of("Bearer " + GOOD), "access_token=" + GOOD, 400,
            TWO_METHODS),
        row("query token only, not allowed", List.of(), "access_token=" + GOOD, 401, NONE),
        row("two query tokens, not allowed", List.of(),
            "access_token=" + GOOD + "&access_token=" + GOOD, 401, NONE),
        row("other query parameters", List.of("Bearer " + GOOD), "token=x&access=y", 200, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void authorizationHeader_case_answersAsRfc6750Says(String name, List<String> headers,
      String query, int status, String challenge) throws Exception {
    List<String> namesAndValues = new ArrayList<>();
    for (String header : headers) {
      namesAndValues.add("Authorization");
      namesAndValues.add(header.replace(GOOD, good));
    }
    String path = "/api/me" + (query.isEmpty() ? "" : "?" + query.replace(GOOD, good));

    HttpResponse<String> response = server.get(path, namesAndValues.toArray(new String[0]));

    assertEquals(status, response.statusCode(), name);
    assertEquals(challenge, response.headers().firstValue("WWW-Authenticate").orElse(null), name);
    assertEquals(challenge == null ? 0 : 1,
        response.headers().allValues("WWW-Authenticate").size(), name);
  }

  private static Arguments row(String name, List<String> headers, String query, int status,
      String challenge) {
    return Arguments.of(name, headers, query, status, challenge);
  }
}
