package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.TokenService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The store's health indicator and the Micrometer binding, on real stores. */
class ActuatorTest {

  @TempDir
  Path temp;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TokenkeeperAutoConfiguration.class,
            TokenkeeperHealthAutoConfiguration.class, TokenkeeperMetricsAutoConfiguration.class))
        .withPropertyValues("tokenkeeper.store.file.directory=" + temp.resolve("tokens"));
  }

  @Configuration(proxyBeanMethods = false)
  static class Registry {
    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  @Test
  void fileStore_healthUp_namingTheStoreOnly() {
    runner().run(context -> {
      var health = context.getBean("tokenkeeperHealthIndicator", HealthIndicator.class)
          .health(true);
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsOnlyKeys("store")
          .containsEntry("store", "FileTokenStore");
    });
  }

  @Test
  void redisUnreachable_healthDown() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort(); // free once closed: nothing listens there
    }
    runner().withPropertyValues("tokenkeeper.store.redis.uri=redis://127.0.0.1:" + closedPort)
        .run(context -> assertThat(context.getBean("tokenkeeperHealthIndicator",
            HealthIndicator.class).health(true).getStatus()).isEqualTo(Status.DOWN));
  }

  @Test
  void meterRegistry_countsAuthentications_timesTheStore_gaugesLiveSessions() {
    runner().withUserConfiguration(Registry.class).run(context -> {
      TokenService tokens = context.getBean(TokenService.class);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      String token = tokens.issue("alice").plaintext();
      tokens.authenticate(token);
      tokens.authenticate("tk_madeUp");

      assertThat(registry.get("tokenkeeper.authentications").tag("result", "authenticated")
          .counter().count()).isEqualTo(1.0);
      assertThat(registry.get("tokenkeeper.authentications").tag("result", "malformed")
          .counter().count()).isEqualTo(1.0);
      assertThat(registry.get("tokenkeeper.store.operations").tag("operation", "create")
          .tag("outcome", "success").timer().count()).isEqualTo(1);
      assertThat(registry.get("tokenkeeper.sessions.live").gauge().value()).isEqualTo(1.0);
    });
  }

  @Test
  void otherStore_noLiveSessionsGauge_countersStill() {
    runner().withUserConfiguration(Registry.class)
        .withPropertyValues("tokenkeeper.store.type=memory").run(context -> {
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          context.getBean(TokenService.class).issue("alice");
          assertThat(registry.find("tokenkeeper.sessions.live").gauge()).isNull();
          assertThat(registry.get("tokenkeeper.issues").tag("kind", "token").counter().count())
              .isEqualTo(1.0);
        });
  }
}
