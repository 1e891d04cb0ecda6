package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code tokenkeeper.limits.*} on Boot's embedded server with the standard opaqueToken chain and
 * a real HTTP client: past the failure limit an address gets 429 with Retry-After, never a 401,
 * while other addresses are served, until its window ends; past the session rate limit a session
 * gets 429. Clients are told apart by X-Forwarded-For, believed from loopback under
 * {@code server.forward-headers-strategy=native} as from a reverse proxy. The introspector is the
 * auto-configuration's, built from the same settings, on a clock the test moves (a bean of the
 * application's, so the auto-configured one backs off); LimitsSettingsTest shows the
 * auto-configured one gets the same limits.
 */
@SpringBootTest(classes = LimitsOverHttpTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"tokenkeeper.store.type=memory", "server.forward-headers-strategy=native",
        "tokenkeeper.limits.failure-limit=3", "tokenkeeper.limits.failure-window=1m",
        "tokenkeeper.limits.session-rate-limit=4", "tokenkeeper.limits.session-rate-window=10s"})
class LimitsOverHttpTest {

  static final MutableClock CLOCK = MutableClock.startingAt2026();

  @SpringBootConfiguration
  // The test class path holds Boot's JDBC starter; this application has no database.
  @EnableAutoConfiguration(
      excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
  @Import(Me.class)
  static class App {
    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(r -> r.anyRequest().authenticated())
          .oauth2ResourceServer(o -> o.opaqueToken(Customizer.withDefaults()))
          .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .csrf(csrf -> csrf.disable());
      return http.build();
    }

    @Bean
    OpaqueTokenIntrospector introspector(TokenService tokens, TokenkeeperProperties properties) {
      return new TokenkeeperIntrospector(tokens, IntrospectionLimits.of(properties.getLimits(),
          CLOCK, App.class.getClassLoader()));
    }
  }

  @RestController
  static class Me {
    @GetMapping("/api/me")
    Map<String, Object> me(@AuthenticationPrincipal TokenkeeperPrincipal me) {
      return Map.of("name", me.getName());
    }
  }

  @LocalServerPort
  int port;

  @Autowired
  TokenService tokens;

  private Http http() {
    return new Http(port);
  }

  private static void assert429(HttpResponse<String> response, String description) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
    assertThat(response.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(response.body()).isEqualTo("{\"error\":\"too_many_requests\","
        + "\"error_description\":\"" + description + "\"}");
  }

  @Test
  void failureLimit_reached_429WithRetryAfter_otherAddressesServed_untilTheWindowEnds()
      throws Exception {
    String alice = tokens.issue("alice").plaintext();
    String attacker = "203.0.113.7";
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> refused = http().getFrom(attacker, "/api/me", "tk_guess" + i);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow())
          .contains("error=\"invalid_token\"");
    }

    CLOCK.advance(Duration.ofSeconds(15));
    HttpResponse<String> guess = http().getFrom(attacker, "/api/me", "tk_guess3");
    assert429(guess, "too many failed attempts; retry later");
    assertThat(guess.headers().firstValue("Retry-After")).hasValue("45");
    // Even a valid token from the limited address waits: it is checked before any lookup.
    assert429(http().getFrom(attacker, "/api/me", alice), "too many failed attempts; retry later");

    HttpResponse<String> elsewhere = http().getFrom("198.51.100.20", "/api/me", alice);
    assertThat(elsewhere.statusCode()).isEqualTo(200);
    assertThat(Http.field(elsewhere, "name")).isEqualTo("alice");

    CLOCK.advance(Duration.ofSeconds(45));
    assertThat(http().getFrom(attacker, "/api/me", alice).statusCode()).isEqualTo(200);
    assertThat(http().getFrom(attacker, "/api/me", "tk_guess4").statusCode()).isEqualTo(401);
  }

  @Test
  void sessionRateLimit_passed_429ForThatSessionOnly_untilItsWindowEnds() throws Exception {
    String phone = tokens.issue("bob").plaintext();
    String laptop = tokens.issue("bob").plaintext();
    for (int i = 0; i < 4; i++) {
      assertThat(http().getFrom("192.0.2.30", "/api/me", phone).statusCode()).isEqualTo(200);
    }

    HttpResponse<String> limited = http().getFrom("192.0.2.30", "/api/me", phone);
    assert429(limited, "too many requests for this session; retry later");
    assertThat(limited.headers().firstValue("Retry-After")).isPresent();
    assertThat(http().getFrom("192.0.2.30", "/api/me", laptop).statusCode()).isEqualTo(200);

    CLOCK.advance(Duration.ofSeconds(10));
    assertThat(http().getFrom("192.0.2.30", "/api/me", phone).statusCode()).isEqualTo(200);
  }

  @Test
  void errorPage_dispatchedWithTheToken_countsTheSessionOnce() throws Exception {
    String token = tokens.issue("carol").plaintext();
    // A 404 is rendered by a second (error) dispatch of the same request; Spring Security does
    // not check the token again there, so the session is counted once per request.
    assertThat(http().getFrom("192.0.2.40", "/api/none", token).statusCode()).isEqualTo(404);
    assertThat(http().getFrom("192.0.2.40", "/api/none", token).statusCode()).isEqualTo(404);
    assertThat(http().getFrom("192.0.2.40", "/api/me", token).statusCode()).isEqualTo(200);
    assertThat(http().getFrom("192.0.2.40", "/api/me", token).statusCode()).isEqualTo(200);
    assert429(http().getFrom("192.0.2.40", "/api/me", token),
        "too many requests for this session; retry later");
  }
}
