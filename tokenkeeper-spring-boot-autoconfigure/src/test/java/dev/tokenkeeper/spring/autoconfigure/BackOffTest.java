package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.TokenMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;

/** Each auto-configured bean gives way to the application's own, and to a missing class. */
class BackOffTest {

  @TempDir
  Path temp;

  private static final AutoConfigurations ALL = AutoConfigurations.of(
      TokenkeeperAutoConfiguration.class, TokenkeeperSecurityAutoConfiguration.class,
      TokenkeeperWebAutoConfiguration.class, TokenkeeperHealthAutoConfiguration.class,
      TokenkeeperMetricsAutoConfiguration.class);

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner().withConfiguration(ALL)
        .withPropertyValues("tokenkeeper.store.file.directory=" + temp.resolve("tokens"));
  }

  /** A store of the application's own that counts how often the context closes it. */
  @Configuration(proxyBeanMethods = false)
  static class OwnStore {
    static final AtomicInteger CLOSED = new AtomicInteger();

    @Bean
    TokenStore ownStore() {
      return new ForwardingTokenStore(new InMemoryTokenStore()) {
        @Override
        public void close() {
          CLOSED.incrementAndGet();
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnService {
    @Bean
    TokenService ownService() {
      return TokenService.builder().store(new InMemoryTokenStore()).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnIntrospector {
    @Bean
    OpaqueTokenIntrospector ownIntrospector() {
      return token -> {
        throw new UnsupportedOperationException("not this one");
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Registry {
    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnMetrics {
    @Bean
    TokenMetrics ownMetrics(MeterRegistry registry) {
      return TokenMetrics.builder(registry).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnHealth {
    @Bean
    HealthIndicator tokenkeeperHealthIndicator() {
      return () -> Health.outOfService().build();
    }
  }

  @Test
  void everything_configuredByDefault() {
    runner().run(context -> {
      assertThat(context).hasSingleBean(TokenStore.class);
      assertThat(context).hasSingleBean(TokenService.class);
      assertThat(context).hasSingleBean(OpaqueTokenIntrospector.class);
      assertThat(context).hasBean("tokenkeeperHealthIndicator");
      assertThat(context).doesNotHaveBean(TokenMetrics.class); // no MeterRegistry
    });
  }

  @Test
  void ownStore_isUsed_noFileStoreOpened_andClosedWithTheContext() {
    OwnStore.CLOSED.set(0);
    runner().withUserConfiguration(OwnStore.class).run(context -> {
      assertThat(context).hasSingleBean(TokenStore.class);
      assertThat(context).hasBean("ownStore");
      assertThat(temp.resolve("tokens")).doesNotExist();
      String token = context.getBean(TokenService.class).issue("alice").plaintext();
      assertThat(context.getBean(TokenStore.class).find(TokenHash.sha256(token))).isPresent();
    });
    assertThat(OwnStore.CLOSED).hasValue(1);
  }

  @Test
  void ownStore_withDataSourceAndRedisSettings_noOtherStoreMade() {
    runner().withUserConfiguration(OwnStore.class, StoreChoiceTest.ApplicationDataSource.class)
        .withPropertyValues("spring.data.redis.url=redis://127.0.0.1:1")
        .run(context -> {
          assertThat(context).hasSingleBean(TokenStore.class);
          assertThat(context).hasBean("ownStore");
        });
  }

  @Test
  void ownService_isUsed_byTheIntrospector() {
    runner().withUserConfiguration(OwnService.class).run(context -> {
      assertThat(context).hasSingleBean(TokenService.class);
      assertThat(context).hasBean("ownService");
      TokenService own = context.getBean(TokenService.class);
      String token = own.issue("alice").plaintext();
      assertThat(context.getBean(OpaqueTokenIntrospector.class).introspect(token).getName())
          .isEqualTo("alice");
    });
  }

  @Test
  void ownIntrospector_isUsed() {
    runner().withUserConfiguration(OwnIntrospector.class).run(context -> {
      assertThat(context).hasSingleBean(OpaqueTokenIntrospector.class);
      assertThat(context).hasBean("ownIntrospector");
    });
  }

  @Test
  void endpoints_resolverSkipsRefreshOnly_andGivesWayToTheApplications() {
    WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(ALL)
        .withPropertyValues("tokenkeeper.store.type=memory",
            "tokenkeeper.web.endpoints.enabled=true");
    web.run(context -> {
      BearerTokenResolver resolver = context.getBean(BearerTokenResolver.class);
      MockHttpServletRequest refresh = new MockHttpServletRequest("POST", "/auth/refresh");
      refresh.addHeader("Authorization", "Bearer expired");
      MockHttpServletRequest other = new MockHttpServletRequest("POST", "/auth/logout");
      other.addHeader("Authorization", "Bearer current");
      assertThat(resolver.resolve(refresh)).isNull();
      assertThat(resolver.resolve(other)).isEqualTo("current");
    });
    BearerTokenResolver own = request -> "own";
    web.withBean("ownResolver", BearerTokenResolver.class, () -> own)
        .run(context -> assertThat(context.getBean(BearerTokenResolver.class)).isSameAs(own));
  }

  @Test
  void noSpringSecurity_noIntrospector_serviceStill() {
    runner().withClassLoader(new FilteredClassLoader(OpaqueTokenIntrospector.class))
        .run(context -> {
          assertThat(context).hasSingleBean(TokenService.class);
          assertThat(context).doesNotHaveBean(OpaqueTokenIntrospector.class);
        });
  }

  @Test
  void ownHealthIndicatorOfTheSameName_isUsed() {
    runner().withUserConfiguration(OwnHealth.class).run(context ->
        assertThat(context.getBean("tokenkeeperHealthIndicator", HealthIndicator.class)
            .health(false).getStatus().getCode()).isEqualTo("OUT_OF_SERVICE"));
  }

  @Test
  void healthIndicatorSwitchedOff_none() {
    runner().withPropertyValues("management.health.tokenkeeper.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean("tokenkeeperHealthIndicator"));
  }

  @Test
  void noHealthSupport_noIndicator() {
    runner().withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(context -> assertThat(context).doesNotHaveBean("tokenkeeperHealthIndicator"));
  }

  @Test
  void meterRegistry_metricsBound() {
    runner().withUserConfiguration(Registry.class)
        .run(context -> assertThat(context).hasSingleBean(TokenMetrics.class));
  }

  @Test
  void ownTokenMetrics_isUsed_andHearsTheService() {
    runner().withUserConfiguration(Registry.class, OwnMetrics.class).run(context -> {
      assertThat(context).hasSingleBean(TokenMetrics.class);
      assertThat(context).hasBean("ownMetrics");
      context.getBean(TokenService.class).issue("alice");
      assertThat(context.getBean(MeterRegistry.class).get("tokenkeeper.issues")
          .tag("kind", "token").counter().count()).isEqualTo(1.0);
    });
  }

  @Test
  void meterRegistry_metricsModuleMissing_noMetrics_serviceStill() {
    runner().withUserConfiguration(Registry.class)
        .withClassLoader(new FilteredClassLoader(TokenMetrics.class))
        .run(context -> {
          assertThat(context).hasSingleBean(TokenService.class);
          assertThat(context).doesNotHaveBean("tokenkeeperMetrics");
        });
  }

  @Test
  void notAWebApplication_noOutageFilter_noEndpoints() {
    runner().withPropertyValues("tokenkeeper.web.endpoints.enabled=true").run(context -> {
      assertThat(context).doesNotHaveBean(FilterRegistrationBean.class);
      assertThat(context).doesNotHaveBean(SessionEndpoints.class);
    });
  }

  @Test
  void webApplication_outageFilter_endpointsOnlyWhenEnabled() {
    WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(ALL)
        .withPropertyValues("tokenkeeper.store.type=memory");
    web.run(context -> {
      assertThat(context).hasBean("tokenkeeperRefusalFilter");
      assertThat(context).doesNotHaveBean(SessionEndpoints.class);
    });
    web.withPropertyValues("tokenkeeper.web.endpoints.enabled=true")
        .run(context -> assertThat(context).hasSingleBean(SessionEndpoints.class));
  }
}
