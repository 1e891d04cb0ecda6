package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.file.FileStoreFaults;
import dev.tokenkeeper.store.file.FileTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The store's health indicator and the Micrometer binding, on real stores: the file store's health
 * from its own state (a real store whose fsync is made to fail), Redis's from a lookup.
 */
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

  /** The application's own store: a real file store whose fsyncs fail when the test says. */
  @Configuration(proxyBeanMethods = false)
  static class FailingFileStore {
    static FileStoreFaults faults;

    @Bean
    TokenStore tokenStore() {
      return faults.store();
    }
  }

  private ApplicationContextRunner failingFileStore() {
    FailingFileStore.faults = FileStoreFaults.open(temp.resolve("failing"));
    return runner().withUserConfiguration(FailingFileStore.class);
  }

  private static Health health(AssertableApplicationContext context) {
    return context.getBean("tokenkeeperHealthIndicator", HealthIndicator.class).health(true);
  }

  /** Nothing in the details says where the store is or what it holds. */
  private void assertNoSecretsOrLocation(Health health, String token) {
    String details = health.getDetails().toString();
    assertThat(details).doesNotContain(temp.toString()).doesNotContain(token)
        .doesNotContain(TokenHash.sha256(token).fingerprint());
  }

  @Test
  void fileStore_healthUp_withItsFigures_noLocation() {
    runner().run(context -> {
      String token = context.getBean(TokenService.class).issue("alice").plaintext();
      Health health = health(context);
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails())
          .containsOnlyKeys("store", "fsyncs", "logBytes", "touchBacklog")
          .containsEntry("store", "FileTokenStore");
      assertThat((Long) health.getDetails().get("fsyncs")).isPositive();
      assertThat((Long) health.getDetails().get("logBytes")).isPositive();
      assertNoSecretsOrLocation(health, token);
    });
  }

  @Test
  void fileStore_fsyncFailed_healthDown_sayingWhy_whileLookupsStillAnswer() {
    failingFileStore().run(context -> {
      TokenService tokens = context.getBean(TokenService.class);
      String token = tokens.issue("alice").plaintext();
      assertThat(health(context).getStatus()).isEqualTo(Status.UP);

      FailingFileStore.faults.failForces();
      assertThatThrownBy(() -> tokens.issue("bob"))
          .isInstanceOf(StoreUnavailableException.class);

      // A lookup alone would call this store healthy: it answers from memory.
      assertThat(tokens.authenticate(token).isAuthenticated()).isTrue();
      Health health = health(context);
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails())
          .containsEntry("reason", FileStoreHealthIndicator.FAILED)
          .containsEntry("store", "FileTokenStore")
          .containsKeys("fsyncs", "logBytes", "touchBacklog")
          .doesNotContainKey("error");
      assertNoSecretsOrLocation(health, token);
    });
  }

  @Test
  void fileStore_closed_healthDown_sayingSo_noLocation() {
    failingFileStore().run(context -> {
      FailingFileStore.faults.store().close();
      Health health = health(context);
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails()).containsEntry("reason", FileStoreHealthIndicator.CLOSED)
          .doesNotContainKey("error");
      assertThat(health.getDetails().toString()).doesNotContain(temp.toString());
    });
  }

  @Test
  void redisUnreachable_healthDown_withAFixedReason_noHostOrPort() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort(); // free once closed: nothing listens there
    }
    runner().withPropertyValues("tokenkeeper.store.redis.uri=redis://127.0.0.1:" + closedPort)
        .run(context -> {
          Health health = health(context);
          assertThat(health.getStatus()).isEqualTo(Status.DOWN);
          assertThat(health.getDetails())
              .containsEntry("reason", TokenStoreHealthIndicator.UNAVAILABLE)
              .containsEntry("error", StoreUnavailableException.class.getName());
          // The store's own message names both ("Redis at 127.0.0.1:PORT unavailable ...").
          assertThat(health.getDetails().toString()).doesNotContain("127.0.0.1")
              .doesNotContain(Integer.toString(closedPort));
        });
  }

  /** The application's own store: a file store behind a decorator, so checked by a lookup. */
  @Configuration(proxyBeanMethods = false)
  static class DecoratedFileStore {
    static FileTokenStore file;

    @Bean
    TokenStore tokenStore() {
      return new ForwardingTokenStore(file) {};
    }
  }

  @Test
  void lookupFails_withALocationInItsMessage_healthDown_noLocation() {
    DecoratedFileStore.file = FileTokenStore.open(temp.resolve("decorated"));
    runner().withUserConfiguration(DecoratedFileStore.class).run(context -> {
      assertThat(health(context).getStatus()).isEqualTo(Status.UP);
      DecoratedFileStore.file.close();
      // What the lookup now throws names the directory: "token store /... is closed".
      assertThatThrownBy(() -> context.getBean(TokenStore.class).findSession(
          SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA")))
          .hasMessageContaining(temp.toString());
      Health health = health(context);
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails())
          .containsEntry("reason", TokenStoreHealthIndicator.UNAVAILABLE)
          .containsEntry("error", IllegalStateException.class.getName());
      assertThat(health.getDetails().toString()).doesNotContain(temp.toString());
    });
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
