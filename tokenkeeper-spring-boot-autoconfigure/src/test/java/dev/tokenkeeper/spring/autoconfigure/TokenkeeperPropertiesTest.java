package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The {@code tokenkeeper.*} settings reach the service, and bad ones stop the startup. */
class TokenkeeperPropertiesTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(TokenkeeperAutoConfiguration.class))
      .withPropertyValues("tokenkeeper.store.type=memory");

  @Test
  void defaults_areTheServicesDefaults() {
    runner.run(context -> {
      TokenService tokens = context.getBean(TokenService.class);
      assertThat(tokens.absoluteTtl()).isEqualTo(TokenService.DEFAULT_ABSOLUTE_TTL);
      assertThat(tokens.idleTimeout()).isEmpty();
      IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
      assertThat(lifetime(pair)).isEqualTo(TokenService.DEFAULT_ACCESS_TTL);
    });
  }

  @Test
  void propertyDefaults_equalTheServicesConstants() {
    TokenkeeperProperties properties = new TokenkeeperProperties();
    assertThat(properties.getAbsoluteTtl()).isEqualTo(TokenService.DEFAULT_ABSOLUTE_TTL);
    assertThat(properties.getRefreshGrace()).isEqualTo(TokenService.DEFAULT_REFRESH_GRACE);
  }

  @Test
  void lifetimes_applied() {
    runner.withPropertyValues("tokenkeeper.absolute-ttl=2d", "tokenkeeper.idle-timeout=30m",
        "tokenkeeper.access-ttl=5m", "tokenkeeper.refresh-grace=0s").run(context -> {
          TokenService tokens = context.getBean(TokenService.class);
          assertThat(tokens.absoluteTtl()).isEqualTo(Duration.ofDays(2));
          assertThat(tokens.idleTimeout()).hasValue(Duration.ofMinutes(30));
          assertThat(lifetime(tokens.issuePair("alice", null, Client.UNKNOWN)))
              .isEqualTo(Duration.ofMinutes(5));
        });
  }

  @Test
  void binding_refusesAnotherClient() {
    runner.withPropertyValues("tokenkeeper.binding.ipv4-prefix-bits=24",
        "tokenkeeper.binding.user-agent=true").run(context -> {
          TokenService tokens = context.getBean(TokenService.class);
          String token = tokens.issue("alice", null, new Client("192.0.2.10", "Firefox"))
              .plaintext();
          assertThat(tokens.authenticate(token, new Client("192.0.2.99", "Firefox"))
              .isAuthenticated()).isTrue();
          assertThat(tokens.authenticate(token, new Client("198.51.100.1", "Firefox")))
              .isEqualTo(new AuthResult.Rejected(AuthResult.Reason.CLIENT_MISMATCH));
          assertThat(tokens.authenticate(token, new Client("192.0.2.10", "curl")))
              .isEqualTo(new AuthResult.Rejected(AuthResult.Reason.CLIENT_MISMATCH));
        });
  }

  @Test
  void noBinding_anyClient() {
    runner.run(context -> {
      TokenService tokens = context.getBean(TokenService.class);
      String token = tokens.issue("alice", null, new Client("192.0.2.10", "Firefox")).plaintext();
      assertThat(tokens.authenticate(token, new Client("198.51.100.1", "curl"))
          .isAuthenticated()).isTrue();
    });
  }

  @Test
  void zeroAbsoluteTtl_failsTheStartup_sayingWhy() {
    runner.withPropertyValues("tokenkeeper.absolute-ttl=0s").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("absoluteTtl must be positive"));
  }

  @Test
  void idleTimeoutOverAbsolute_failsTheStartup_sayingWhy() {
    runner.withPropertyValues("tokenkeeper.absolute-ttl=1h", "tokenkeeper.idle-timeout=2h")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("idleTimeout"));
  }

  @Test
  void bindingPrefixOutOfRange_failsTheStartup_sayingWhy() {
    runner.withPropertyValues("tokenkeeper.binding.ipv4-prefix-bits=33").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("ipv4PrefixBits must be 0 to 32"));
  }

  private static Duration lifetime(IssuedPair pair) {
    return Duration.between(pair.session().createdAt(), pair.access().session().expiresAt());
  }
}
