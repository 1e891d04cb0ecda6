package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.FileStoreMetrics;
import dev.tokenkeeper.metrics.micrometer.RedisStoreMetrics;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.reflect.Field;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Redis store against a real redis-server: the one the starter builds reads Redis's clock
 * and the service reads the store's, so instances sharing one Redis stamp on one clock; an
 * application's own store backs that off. The store's pool gauges are bound in either case.
 */
class RedisStoreClockTest {

  @RegisterExtension
  static final LocalRedis REDIS = new LocalRedis();

  private static String uri() {
    return REDIS.server().uri();
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner().withConfiguration(StoreMetricsTest.WITH_METRICS);
  }

  /** An application's own Redis store, itself on Redis's clock. */
  @Configuration(proxyBeanMethods = false)
  static class OwnRedisStore {
    @Bean(destroyMethod = "close")
    RedisTokenStore ownStore() {
      return RedisTokenStore.builder().uri(uri()).keyPrefix("own:").redisClock().build();
    }
  }

  /** TokenService does not expose its clock; its field of that type is the one it reads. */
  private static Clock clockOf(TokenService service) throws ReflectiveOperationException {
    Field field = TokenService.class.getDeclaredField("clock");
    field.setAccessible(true);
    return (Clock) field.get(service);
  }

  @Test
  void chosenByItsUri_serviceReadsTheStoresRedisClock() {
    runner().withPropertyValues("tokenkeeper.store.redis.uri=" + uri()).run(context -> {
      RedisTokenStore store = context.getBean(RedisTokenStore.class);
      TokenService service = context.getBean(TokenService.class);
      assertThat(clockOf(service)).isSameAs(store.clock());
      assertThat(store.clock()).isNotEqualTo(Clock.systemUTC());

      long before = REDIS.server().millis();
      service.issue("alice");
      long after = REDIS.server().millis();
      Session session = service.sessions("alice").get(0);
      // Stamped by Redis's TIME as seen from here, within a round trip (allowed 1 s either side).
      assertThat(session.createdAt()).isBetween(
          Instant.ofEpochMilli(before - 1000), Instant.ofEpochMilli(after + 1000));
    });
  }

  @Test
  void explicitType_bootsRedisUrl_serviceReadsTheStoresRedisClock() {
    runner().withPropertyValues("tokenkeeper.store.type=redis",
        "spring.data.redis.url=" + uri()).run(context -> {
          RedisTokenStore store = context.getBean(RedisTokenStore.class);
          assertThat(clockOf(context.getBean(TokenService.class))).isSameAs(store.clock());
          assertThat(context).hasSingleBean(ServiceClock.class);
        });
  }

  @Test
  void ownStore_backsTheClockOff_serviceOnTheSystemClock() {
    runner().withUserConfiguration(OwnRedisStore.class).run(context -> {
      assertThat(context).hasSingleBean(TokenStore.class);
      assertThat(context).hasBean("ownStore");
      assertThat(context).doesNotHaveBean(ServiceClock.class);
      RedisTokenStore store = context.getBean(RedisTokenStore.class);
      Clock clock = clockOf(context.getBean(TokenService.class));
      assertThat(clock).isNotSameAs(store.clock());
      assertThat(clock).isEqualTo(Clock.systemUTC());
    });
  }

  @Test
  void redisStore_poolGaugesBound_noFileStoreMeters() {
    runner().withPropertyValues("tokenkeeper.store.redis.uri=" + uri()).run(context -> {
      assertThat(context).hasSingleBean(RedisStoreMetrics.class);
      assertThat(context).doesNotHaveBean(FileStoreMetrics.class);
      context.getBean(TokenService.class).issue("bob");
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      for (String figure : new String[] {"active", "idle", "waiters", "max"}) {
        assertThat(registry.find("tokenkeeper.store.redis.pool." + figure).gauge())
            .as(figure).isNotNull();
      }
      assertThat(registry.get("tokenkeeper.store.redis.pool.max").gauge().value()).isPositive();
      assertThat(registry.get("tokenkeeper.store.redis.pool.idle").gauge().value()).isPositive();
    });
  }
}
