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
 * hears the service's events, in bean order. On the Redis store the starter builds, the service
 * reads that store's clock, Redis's, so that instances sharing one Redis stamp on one clock.
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
      ObjectProvider<StoreDecorator> decorators, ObjectProvider<ServiceClock> clocks,
      Environment environment) {
    TokenStore store = stores.getIfAvailable(() -> {
      throw new IllegalStateException(StoreChoice.explainMissingStore(environment));
    });
    for (StoreDecorator decorator : decorators.orderedStream().toList()) {
      store = decorator.decorate(store);
    }
    TokenService.Builder builder = TokenService.builder().store(store);
    clocks.ifAvailable(clock -> builder.clock(clock.clock()));
    Settings.apply("tokenkeeper.absolute-ttl", properties.getAbsoluteTtl(), builder::absoluteTtl);
    Settings.apply("tokenkeeper.idle-timeout", properties.getIdleTimeout(), builder::idleTimeout);
    Settings.apply("tokenkeeper.access-ttl", properties.getAccessTtl(), builder::accessTtl);
    Settings.apply("tokenkeeper.refresh-grace", properties.getRefreshGrace(),
        builder::refreshGrace);
    TokenkeeperProperties.Binding binding = properties.getBinding();
    if (binding.isOn()) {
      // Each family checked alone first, so a refusal names the property that holds it.
      Settings.apply("tokenkeeper.binding.ipv4-prefix-bits", binding.getIpv4PrefixBits(),
          bits -> new ClientBinding.Policy(bits, 0, true));
      Settings.apply("tokenkeeper.binding.ipv6-prefix-bits", binding.getIpv6PrefixBits(),
          bits -> new ClientBinding.Policy(0, bits, true));
      builder.clientBinding(new ClientBinding.Policy(
          binding.getIpv4PrefixBits(), binding.getIpv6PrefixBits(), binding.isUserAgent()));
    }
    SecurityEventListener[] all =
        listeners.orderedStream().toArray(SecurityEventListener[]::new);
    if (all.length > 0) {
      builder.eventListeners(all);
    }
    try {
      return builder.build();
    } catch (IllegalStateException e) {
      // The builder's rules across lifetimes: say which settings disagree.
      throw new IllegalStateException("tokenkeeper.access-ttl and tokenkeeper.idle-timeout must"
          + " not exceed tokenkeeper.absolute-ttl: " + e.getMessage(), e);
    }
  }
}
