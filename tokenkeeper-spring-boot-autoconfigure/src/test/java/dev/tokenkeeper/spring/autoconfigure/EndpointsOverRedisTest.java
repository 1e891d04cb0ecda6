package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.TokenService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * An application on Boot's embedded server with its sessions in a real redis-server (chosen by
 * {@code tokenkeeper.store.redis.uri} alone), the session endpoints on, and the standard
 * opaqueToken chain, with Boot's actuator, driven by a real HTTP client: the endpoints' answers
 * and refusals, the metrics and health, and a Redis that dies and comes back.
 */
@SpringBootTest(classes = EndpointsOverRedisTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"tokenkeeper.web.endpoints.enabled=true", "tokenkeeper.refresh-grace=0s"})
class EndpointsOverRedisTest {

  @RegisterExtension
  static final LocalRedis REDIS = new LocalRedis();

  @SpringBootConfiguration
  // The test class path holds Boot's JDBC starter; this application has no database.
  @EnableAutoConfiguration(
      excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
  @Import({Login.class, Me.class})
  static class App {
    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(r -> r.requestMatchers("/login", "/auth/refresh").permitAll()
              .anyRequest().authenticated())
          .oauth2ResourceServer(o -> o.opaqueToken(Customizer.withDefaults()))
          .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .csrf(csrf -> csrf.disable());
      return http.build();
    }
  }

  /** The application's login: any user, one password; a pair in the demo's JSON. */
  @RestController
  static class Login {
    private final TokenService tokens;

    Login(TokenService tokens) {
      this.tokens = tokens;
    }

    @PostMapping("/login")
    Map<String, Object> login(@RequestBody Map<String, String> body, HttpServletRequest request) {
      if (!"secret".equals(body.get("password"))) {
        throw new IllegalArgumentException("wrong password");
      }
      IssuedPair pair = tokens.issuePair(body.get("username"), request.getHeader("User-Agent"),
          new Client(request.getRemoteAddr(), request.getHeader("User-Agent")));
      return SessionEndpoints.pairBody(pair, Instant.now());
    }
  }

  @RestController
  static class Me {
    @GetMapping("/api/me")
    Map<String, Object> me(@AuthenticationPrincipal TokenkeeperPrincipal me) {
      return Map.of("name", me.getName(), "session_id", me.session().id().value());
    }
  }

  @DynamicPropertySource
  static void redisUri(DynamicPropertyRegistry registry) {
    registry.add("tokenkeeper.store.redis.uri", () -> REDIS.server().uri());
  }

  @LocalServerPort
  int port;

  @Autowired
  MeterRegistry meters;

  @Autowired
  @Qualifier("tokenkeeperHealthIndicator")
  HealthIndicator health;

  private Http http() {
    return new Http(port);
  }

  private HttpResponse<String> login(String user) throws Exception {
    return http().login(user);
  }

  @Test
  void principal_isTheSubject_withTheSession() throws Exception {
    HttpResponse<String> pair = login("alice@example.com");
    HttpResponse<String> me = http().get("/api/me", Http.field(pair, "access_token"));
    assertThat(me.statusCode()).isEqualTo(200);
    assertThat(Http.field(me, "name")).isEqualTo("alice@example.com");
    assertThat(Http.field(me, "session_id")).isEqualTo(Http.field(pair, "session_id"));
  }

  @Test
  void refresh_newPairSameSession_reuseRevokesTheSession() throws Exception {
    HttpResponse<String> first = login("bob@example.com");
    String refresh = Http.field(first, "refresh_token");

    HttpResponse<String> second =
        http().post("/auth/refresh", null, "{\"refresh_token\":\"" + refresh + "\"}");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(second.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(Http.field(second, "session_id")).isEqualTo(Http.field(first, "session_id"));
    assertThat(Http.field(second, "token_type")).isEqualTo("Bearer");
    String access = Http.field(second, "access_token");
    assertThat(http().get("/api/me", access).statusCode()).isEqualTo(200);

    // Grace 0: the rotated token presented again is theft; its session ends.
    HttpResponse<String> reuse =
        http().post("/auth/refresh", null, "{\"refresh_token\":\"" + refresh + "\"}");
    assertThat(reuse.statusCode()).isEqualTo(400);
    assertThat(Http.field(reuse, "error")).isEqualTo("invalid_grant");
    assertThat(http().get("/api/me", access).statusCode()).isEqualTo(401);
  }

  @Test
  void refresh_badBodies_400_never500() throws Exception {
    String[] bodies = {"", "not json", "[]", "{}", "{\"refresh_token\":42}",
        "{\"refresh_token\":\"" + "x".repeat(300) + "\"}", "{\"refresh_token\":\"tk_nope\"}"};
    for (String body : bodies) {
      HttpResponse<String> response = http().post("/auth/refresh", null, body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(Http.field(response, "error")).as(body).isIn("invalid_request", "invalid_grant");
    }
    HttpResponse<String> form =
        http().send("POST", "/auth/refresh", null, "text/plain", "refresh_token=x");
    assertThat(form.statusCode()).isEqualTo(400);
  }

  @Test
  void sessions_listOwnOnly_revokeOwnDevice_othersIdIs404() throws Exception {
    String phone = Http.field(login("carol@example.com"), "access_token");
    HttpResponse<String> laptop = login("carol@example.com");
    String laptopToken = Http.field(laptop, "access_token");
    String mallory = Http.field(login("mallory@example.com"), "access_token");

    HttpResponse<String> list = http().get("/auth/sessions", phone);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains(Http.field(laptop, "session_id")).contains("\"current\":true")
        .contains("\"current\":false");

    // Mallory cannot end (or learn about) Carol's session: the same 404 as for no session.
    String laptopId = Http.field(laptop, "session_id");
    assertThat(http().delete("/auth/sessions/" + laptopId, mallory).statusCode()).isEqualTo(404);
    assertThat(http().delete("/auth/sessions/not-an-id", phone).statusCode()).isEqualTo(404);
    assertThat(http().get("/api/me", laptopToken).statusCode()).isEqualTo(200);

    assertThat(http().delete("/auth/sessions/" + laptopId, phone).statusCode()).isEqualTo(204);
    assertThat(http().get("/api/me", laptopToken).statusCode()).isEqualTo(401);
    assertThat(http().get("/api/me", phone).statusCode()).isEqualTo(200);
  }

  @Test
  void logout_thenLogoutAll_endTheSessions() throws Exception {
    String one = Http.field(login("dave@example.com"), "access_token");
    String two = Http.field(login("dave@example.com"), "access_token");
    String three = Http.field(login("dave@example.com"), "access_token");

    assertThat(http().post("/auth/logout", one, "").statusCode()).isEqualTo(204);
    assertThat(http().get("/api/me", one).statusCode()).isEqualTo(401);
    assertThat(http().get("/api/me", two).statusCode()).isEqualTo(200);

    assertThat(http().post("/auth/logout-all", two, "").statusCode()).isEqualTo(204);
    assertThat(http().get("/api/me", two).statusCode()).isEqualTo(401);
    assertThat(http().get("/api/me", three).statusCode()).isEqualTo(401);
  }

  @Test
  void actuator_countsEachAuthentication_healthUp() throws Exception {
    String token = Http.field(login("frank@example.com"), "access_token");
    Counter authenticated =
        meters.get("tokenkeeper.authentications").tag("result", "authenticated").counter();
    double before = authenticated.count();

    assertThat(http().get("/api/me", token).statusCode()).isEqualTo(200);

    assertThat(authenticated.count()).isEqualTo(before + 1);
    assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
    assertThat(health.health(true).getDetails()).containsEntry("store", "RedisTokenStore");
  }

  @Test
  void endpoints_withoutToken_401() throws Exception {
    assertThat(http().post("/auth/logout", null, "").statusCode()).isEqualTo(401);
    assertThat(http().post("/auth/logout-all", null, "").statusCode()).isEqualTo(401);
    assertThat(http().get("/auth/sessions", null).statusCode()).isEqualTo(401);
  }

  @Test
  void redisDown_503WithRetryAfter_neverAPassOr401_thenServesAgain() throws Exception {
    String token = Http.field(login("erin@example.com"), "access_token");
    REDIS.server().kill();
    try {
      HttpResponse<String> down = http().get("/api/me", token);
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(down.headers().firstValue("WWW-Authenticate")).isEmpty();
      assertThat(Http.field(down, "error")).isEqualTo("temporarily_unavailable");

      HttpResponse<String> loginDown = http().post("/login", null,
          "{\"username\":\"erin@example.com\",\"password\":\"secret\"}");
      assertThat(loginDown.statusCode()).isEqualTo(503);
      assertThat(loginDown.body()).doesNotContain("access_token");

      HttpResponse<String> logoutDown = http().post("/auth/logout", token, "");
      assertThat(logoutDown.statusCode()).isEqualTo(503);
      assertThat(health.health(false).getStatus()).isEqualTo(Status.DOWN);
    } finally {
      REDIS.server().startAgain();
    }
    // Redis kept the session (append-only, fsync always): the same token works again.
    assertThat(http().get("/api/me", token).statusCode()).isEqualTo(200);
  }
}
