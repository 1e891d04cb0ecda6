package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.FileStoreMetrics;
import dev.tokenkeeper.metrics.micrometer.RedisStoreMetrics;
import dev.tokenkeeper.metrics.micrometer.TokenMetrics;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Binds token-metrics-micrometer when it is on the class path and the application has a
 * {@link MeterRegistry} (Boot's actuator makes one): a {@link TokenMetrics} bean, which the
 * service registers as its event listener, a timer of every store call, and, for the file store,
 * the live-sessions gauge; and the store's own figures as a {@link MeterBinder} bean, which Boot
 * binds to its registries: {@link FileStoreMetrics} ({@code tokenkeeper.store.file.*}) when the
 * store in use is the file store, {@link RedisStoreMetrics}
 * ({@code tokenkeeper.store.redis.pool.*}) when it is the Redis store. The metric names are that
 * module's ({@code tokenkeeper.*}).
 *
 * <p>After the store's auto-configuration, so the store bean is known when choosing the binder;
 * the service finds the metrics beans when it is created, whatever the order of registration.
 */
@AutoConfiguration(after = TokenkeeperAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({TokenMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
public class TokenkeeperMetricsAutoConfiguration {

  /** Not for applications: Spring creates it. */
  public TokenkeeperMetricsAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  TokenMetrics tokenkeeperMetrics(MeterRegistry registry, ObjectProvider<TokenStore> stores) {
    TokenMetrics.Builder builder = TokenMetrics.builder(registry);
    TokenStore store = stores.getIfUnique();
    if (StoreChoice.FILE_STORE_PRESENT) {
      FileStoreGauge.register(builder, store);
    }
    return builder.build();
  }

  @Bean
  StoreDecorator tokenkeeperStoreTimer(TokenMetrics metrics) {
    return metrics::timed;
  }

  /** The file store's fsync, compaction and log meters, when it is the store in use. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = StoreChoice.FILE_STORE)
  @ConditionalOnSingleCandidate(type = StoreChoice.FILE_STORE)
  static class FileStore {

    @Bean
    @ConditionalOnMissingBean
    FileStoreMetrics tokenkeeperFileStoreMetrics(FileTokenStore store) {
      return new FileStoreMetrics(store);
    }
  }

  /** The Redis store's pool gauges, when it is the store in use. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = StoreChoice.REDIS_STORE)
  @ConditionalOnSingleCandidate(type = StoreChoice.REDIS_STORE)
  static class RedisStore {

    @Bean
    @ConditionalOnMissingBean
    RedisStoreMetrics tokenkeeperRedisStoreMetrics(RedisTokenStore store) {
      return new RedisStoreMetrics(store);
    }
  }

  /** Apart, so that FileTokenStore is loaded only when present. */
  private static final class FileStoreGauge {
    static void register(TokenMetrics.Builder builder, TokenStore store) {
      if (store instanceof FileTokenStore file) {
        builder.liveSessions(file::liveCount);
      }
    }
  }
}
