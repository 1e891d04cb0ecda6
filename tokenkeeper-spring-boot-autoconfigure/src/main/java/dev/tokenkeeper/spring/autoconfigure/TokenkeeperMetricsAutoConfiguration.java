package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.TokenMetrics;
import dev.tokenkeeper.store.file.FileTokenStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Binds token-metrics-micrometer when it is on the class path and the application has a
 * {@link MeterRegistry} (Boot's actuator makes one): a {@link TokenMetrics} bean, which the
 * service registers as its event listener, a timer of every store call, and, for the file store,
 * the live-sessions gauge. The metric names are that module's ({@code tokenkeeper.*}).
 */
@AutoConfiguration(before = TokenkeeperAutoConfiguration.class, afterName = {
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

  /** Apart, so that FileTokenStore is loaded only when present. */
  private static final class FileStoreGauge {
    static void register(TokenMetrics.Builder builder, TokenStore store) {
      if (store instanceof FileTokenStore file) {
        builder.liveSessions(file::liveCount);
      }
    }
  }
}
