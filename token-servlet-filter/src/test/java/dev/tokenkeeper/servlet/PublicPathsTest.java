package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PublicPathsTest {

  private final PublicPaths paths = PublicPaths.of("/health", "/auth/login", "/docs/*");

  @ParameterizedTest
  @ValueSource(strings = {"/health", "/auth/login", "/docs", "/docs/", "/docs/a/b"})
  void matches_configuredPathOrSubtree_isTrue(String path) {
    assertTrue(paths.matches(path));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/healthz-admin", "/healthz", "/health/", "/health/x", "/Health",
      "/auth", "/auth/login/", "/docsx", "/doc", "/", ""})
  void matches_otherPath_isFalse(String path) {
    assertFalse(paths.matches(path));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "/*            | would open every path",
      "health        | must start with",
      "/a/*/b        | must not contain \"*\"",
      "/a*           | must not contain \"*\"",
      "/a?b          | must not contain \"?\"",
      "/a;b          | must not contain \";\"",
      "/a//b         | must not contain \"//\"",
      "/a/../b       | must be normalised",
      "/a/./b        | must be normalised",
      "'/a b'        | spaces or control characters"})
  void of_invalidPath_throwsNamingTheRule(String path, String rule) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PublicPaths.of(path));

    assertTrue(e.getMessage().contains(rule), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"abc | \"abc\"", "a\"b | \"a\\\"b\"", "a\\b | \"a\\\\b\""})
  void challengeQuote_specialCharacters_areEscaped(String raw, String quoted) {
    assertEquals(quoted, Challenge.quote(raw));
  }
}
