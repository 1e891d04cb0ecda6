package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

/**
 * Refresh over real HTTP on the file store, with access tokens that expire within a second, as a
 * client meets them: the expired access token is refused with {@code invalid_token}, the refresh
 * token renews the pair even when the client still attaches the expired access token (as HTTP
 * clients that add it to every call do), and a stolen refresh token replayed after rotation ends
 * the session.
 */
@SpringBootTest(classes = RefreshOverHttpTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"tokenkeeper.web.endpoints.enabled=true", "tokenkeeper.refresh-grace=0s",
        "tokenkeeper.access-ttl=1s"})
class RefreshOverHttpTest {

  private static final Path DIRECTORY = temporaryDirectory();

  @SpringBootConfiguration
  @EnableAutoConfiguration(
      excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
  @Import({EndpointsOverRedisTest.Login.class, EndpointsOverRedisTest.Me.class})
  static class App {
    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      return http
          .authorizeHttpRequests(r -> r.requestMatchers("/login", "/auth/refresh").permitAll()
              .anyRequest().authenticated())
          .oauth2ResourceServer(o -> o.opaqueToken(Customizer.withDefaults()))
          .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .csrf(csrf -> csrf.disable())
          .build();
    }
  }

  @DynamicPropertySource
  static void storeDirectory(DynamicPropertyRegistry registry) {
    registry.add("tokenkeeper.store.file.directory", DIRECTORY::toString);
  }

  @AfterAll
  static void deleteDirectory() throws Exception {
    FileSystemUtils.deleteRecursively(DIRECTORY);
  }

  @LocalServerPort
  int port;

  private Http http() {
    return new Http(port);
  }

  private HttpResponse<String> login(String user) throws Exception {
    return http().login(user);
  }

  private HttpResponse<String> refresh(String bearer, String refreshToken) throws Exception {
    return http().post("/auth/refresh", bearer, "{\"refresh_token\":\"" + refreshToken + "\"}");
  }

  /** Polls, for at most 10 seconds, until the access token is refused; returns that answer. */
  private HttpResponse<String> untilRefused(String access) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    HttpResponse<String> answer = http().get("/api/me", access);
    while (answer.statusCode() == 200 && Instant.now().isBefore(deadline)) {
      Thread.onSpinWait();
      answer = http().get("/api/me", access);
    }
    return answer;
  }

  @Test
  void expiredAccessToken_401InvalidToken() throws Exception {
    String access = Http.field(login("alice@example.com"), "access_token");

    HttpResponse<String> refused = untilRefused(access);

    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer error=\"invalid_token\"");
  }

  @Test
  void refresh_withTheExpiredAccessTokenStillAttached_renewsThePair() throws Exception {
    HttpResponse<String> pair = login("bob@example.com");
    String expired = Http.field(pair, "access_token");
    assertThat(untilRefused(expired).statusCode()).isEqualTo(401);

    HttpResponse<String> renewed = refresh(expired, Http.field(pair, "refresh_token"));

    assertThat(renewed.statusCode()).as(renewed.body()).isEqualTo(200);
    assertThat(Http.field(renewed, "session_id")).isEqualTo(Http.field(pair, "session_id"));
  }

  @Test
  void stolenRefreshToken_replayedAfterRotation_endsTheSession() throws Exception {
    HttpResponse<String> pair = login("carol@example.com");
    String stolen = Http.field(pair, "refresh_token");
    HttpResponse<String> rotated = refresh(null, stolen);
    assertThat(rotated.statusCode()).isEqualTo(200);

    HttpResponse<String> replay = refresh(null, stolen);

    assertThat(replay.statusCode()).isEqualTo(400);
    assertThat(Http.field(replay, "error")).isEqualTo("invalid_grant");
    // The rightful client's new refresh token dies with the session.
    assertThat(refresh(null, Http.field(rotated, "refresh_token")).statusCode()).isEqualTo(400);
  }

  private static Path temporaryDirectory() {
    try {
      return Files.createTempDirectory("tokenkeeper-refresh-");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
