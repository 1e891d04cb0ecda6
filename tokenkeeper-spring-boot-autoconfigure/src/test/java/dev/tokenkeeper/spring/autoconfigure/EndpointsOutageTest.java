package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.FaultInjector;
import dev.tokenkeeper.core.FaultInjector.Step;
import dev.tokenkeeper.core.FaultInjector.When;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A store outage met by the session endpoints answers 503, as it does in the token check, even in
 * an application with a catch-all exception handler of its own (tried as a new user would write
 * one). The store is the application's, failing the scripted calls as a dropped connection does.
 */
@SpringBootTest(classes = EndpointsOutageTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "tokenkeeper.web.endpoints.enabled=true")
class EndpointsOutageTest {

  static final FaultInjector FAULTS = FaultInjector.scripted();

  @SpringBootConfiguration
  @EnableAutoConfiguration(
      excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
  static class App {
    @Bean
    TokenStore store() {
      return FAULTS.wrap(new InMemoryTokenStore());
    }

    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(r -> r.requestMatchers("/auth/refresh").permitAll()
              .anyRequest().authenticated())
          .oauth2ResourceServer(o -> o.opaqueToken(Customizer.withDefaults()))
          .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .csrf(csrf -> csrf.disable());
      return http.build();
    }

    @Bean
    CatchAll catchAll() {
      return new CatchAll();
    }
  }

  /** What many applications have: every exception a 500 of their own JSON. */
  @RestControllerAdvice
  static class CatchAll {
    @ExceptionHandler(Exception.class)
    ResponseEntity<Map<String, String>> any(Exception e) {
      return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR)
          .body(Map.of("error", "internal"));
    }
  }

  @LocalServerPort
  int port;

  @Autowired
  TokenService tokens;

  private IssuedPair login(String user) {
    return tokens.issuePair(user, null, Client.UNKNOWN);
  }

  private static void assertOutage(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After"))
        .hasValue(Integer.toString(RefusalFilter.RETRY_AFTER_SECONDS));
    assertThat(response.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(Http.field(response, "error")).isEqualTo("temporarily_unavailable");
  }

  @Test
  void logout_storeDown_503_thenStoreBack_logsOut() throws Exception {
    String access = login("alice").access().plaintext();
    FAULTS.failNext(Step.REVOKE_SESSION, When.BEFORE);

    assertOutage(new Http(port).post("/auth/logout", access, ""));

    assertThat(new Http(port).post("/auth/logout", access, "").statusCode()).isEqualTo(204);
    assertThat(new Http(port).get("/auth/sessions", access).statusCode()).isEqualTo(401);
  }

  @Test
  void logoutAll_storeDown_503() throws Exception {
    String access = login("bob").access().plaintext();
    FAULTS.failNext(Step.REVOKE_ALL, When.BEFORE);

    assertOutage(new Http(port).post("/auth/logout-all", access, ""));
  }

  @Test
  void sessions_storeDown_503() throws Exception {
    String access = login("carol").access().plaintext();
    FAULTS.failNext(Step.FIND_SESSIONS, When.BEFORE);

    assertOutage(new Http(port).get("/auth/sessions", access));
  }

  @Test
  void revokeOne_storeDown_503() throws Exception {
    String access = login("dave").access().plaintext();
    String other = login("dave").session().id().value();
    FAULTS.failNext(Step.REVOKE_SESSION, When.BEFORE);

    assertOutage(new Http(port).delete("/auth/sessions/" + other, access));
  }

  @Test
  void refresh_storeDown_503_neverInvalidGrant() throws Exception {
    String refresh = login("erin").refreshPlaintext();
    FAULTS.failNext(Step.FIND, When.BEFORE);

    assertOutage(new Http(port).post("/auth/refresh", null,
        "{\"refresh_token\":\"" + refresh + "\"}"));

    assertThat(new Http(port).post("/auth/refresh", null,
        "{\"refresh_token\":\"" + refresh + "\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void tokenCheck_storeDown_503_evenWithTheCatchAll() throws Exception {
    String access = login("frank").access().plaintext();
    FAULTS.failNext(Step.FIND, When.BEFORE);

    assertOutage(new Http(port).get("/auth/sessions", access));
  }
}
