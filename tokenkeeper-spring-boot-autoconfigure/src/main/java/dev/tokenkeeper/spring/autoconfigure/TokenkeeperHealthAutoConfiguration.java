package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenStore;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configures the health indicator {@code tokenkeeper} for the {@link TokenStore} bean, when
 * Boot's health support is on the class path ({@code spring-boot-starter-actuator}): for the file
 * store its own state ({@link FileStoreHealthIndicator}), for others a lookup
 * ({@link TokenStoreHealthIndicator}). Switch it off with
 * {@code management.health.tokenkeeper.enabled=false}.
 */
@AutoConfiguration(after = TokenkeeperAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(TokenStore.class)
@ConditionalOnEnabledHealthIndicator("tokenkeeper")
public class TokenkeeperHealthAutoConfiguration {

  /** Not for applications: Spring creates it. */
  public TokenkeeperHealthAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(name = "tokenkeeperHealthIndicator")
  HealthIndicator tokenkeeperHealthIndicator(TokenStore store) {
    HealthIndicator file =
        StoreChoice.FILE_STORE_PRESENT ? FileStoreHealthIndicator.of(store) : null;
    return file != null ? file : new TokenStoreHealthIndicator(store);
  }
}
