package dev.tokenkeeper.examples.springboot;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.TokenService;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Login is the application's: check the password, then ask Tokenkeeper for a token. The one
 * account here is a stand-in for a real user store with hashed passwords.
 */
@RestController
class LoginController {

  record Credentials(String username, String password) {}

  private final TokenService tokens;

  LoginController(TokenService tokens) {
    this.tokens = tokens;
  }

  @PostMapping("/login")
  ResponseEntity<Map<String, Object>> login(@RequestBody Credentials credentials,
      @RequestHeader(name = "User-Agent", required = false) String userAgent) {
    if (!"alice@example.com".equals(credentials.username())
        || !matches(credentials.password(), "wonderland")) {
      return ResponseEntity.status(HttpStatus.UNAUTHORIZED)
          .body(Map.of("error", "invalid_credentials"));
    }
    IssuedToken token = tokens.issue(credentials.username(), userAgent);
    return ResponseEntity.ok(Map.of("access_token", token.plaintext(), "token_type", "Bearer"));
  }

  private static boolean matches(String given, String expected) {
    return given != null && MessageDigest.isEqual(
        given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }
}
