package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.SecurityEventListener;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * Auto-configures a {@link TokenService} and the {@link TokenStore} it keeps sessions in, from
 * {@link TokenkeeperProperties}. Each backs off when the application defines its own bean of the
 * type. The store is chosen as {@link StoreChoice} says; every {@link SecurityEventListener} bean
 * hears the service's events, in bean order.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@EnableConfigurationProperties(TokenkeeperProperties.class)
@Import({StoreConfigurations.Jdbc.class, StoreConfigurations.Redis.class,
    StoreConfigurations.File.class, StoreConfigurations.Memory.class})
public class TokenkeeperAutoConfiguration {

  /** Not for applications: Spring creates it. */
  public TokenkeeperAutoConfiguration() {}

  /** The service the introspector and the endpoints use. */
  @Bean
  @ConditionalOnMissingBean
  TokenService tokenService(ObjectProvider<TokenStore> stores,
      TokenkeeperProperties properties, ObjectProvider<SecurityEventListener> listeners,
      ObjectProvider<StoreDecorator> decorators, Environment environment) {
    TokenStore store = stores.getIfAvailable(() -> {
      throw new IllegalStateException(StoreChoice.explainMissingStore(environment));
    });
    for (StoreDecorator decorator : decorators.orderedStream().toList()) {
      store = decorator.decorate(store);
    }
    TokenService.Builder builder = TokenService.builder().store(store);
    if (properties.getAbsoluteTtl() != null) {
      builder.absoluteTtl(properties.getAbsoluteTtl());
    }
    if (properties.getIdleTimeout() != null) {
      builder.idleTimeout(properties.getIdleTimeout());
    }
    if (properties.getAccessTtl() != null) {
      builder.accessTtl(properties.getAccessTtl());
    }
    if (properties.getRefreshGrace() != null) {
      builder.refreshGrace(properties.getRefreshGrace());
    }
    TokenkeeperProperties.Binding binding = properties.getBinding();
    if (binding.isOn()) {
      builder.clientBinding(new ClientBinding.Policy(
          binding.getIpv4PrefixBits(), binding.getIpv6PrefixBits(), binding.isUserAgent()));
    }
    SecurityEventListener[] all =
        listeners.orderedStream().toArray(SecurityEventListener[]::new);
    if (all.length > 0) {
      builder.eventListeners(all);
    }
    return builder.build();
  }
}
