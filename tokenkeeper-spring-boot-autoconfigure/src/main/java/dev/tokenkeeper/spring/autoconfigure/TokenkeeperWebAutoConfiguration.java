package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * Auto-configures, in a servlet web application with a {@link TokenService}: the
 * {@link RefusalFilter} (always), and the {@link SessionEndpoints} when
 * {@code tokenkeeper.web.endpoints.enabled=true}.
 */
@AutoConfiguration(after = TokenkeeperAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBean(TokenService.class)
public class TokenkeeperWebAutoConfiguration {

  /**
   * Outside every filter that might check a token or call the store (Spring Security's chain sits
   * at -100 by default), inside only Boot's observation and encoding filters, so the 503 is
   * observed like any answer.
   */
  static final int REFUSAL_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

  /** Not for applications: Spring creates it. */
  public TokenkeeperWebAutoConfiguration() {}

  @Bean
  FilterRegistrationBean<RefusalFilter> tokenkeeperRefusalFilter() {
    FilterRegistrationBean<RefusalFilter> registration =
        new FilterRegistrationBean<>(new RefusalFilter());
    registration.setName("tokenkeeperRefusalFilter");
    registration.setOrder(REFUSAL_FILTER_ORDER);
    registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    return registration;
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({DispatcherServlet.class, OAuth2AuthenticatedPrincipal.class})
  @ConditionalOnBooleanProperty("tokenkeeper.web.endpoints.enabled")
  static class Endpoints {

    @Bean
    SessionEndpoints tokenkeeperSessionEndpoints(TokenService tokens) {
      return new SessionEndpoints(tokens, Clock.systemUTC());
    }
  }
}
