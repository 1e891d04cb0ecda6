package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * Auto-configures, in a servlet web application with a {@link TokenService}: the
 * {@link RefusalFilter} (always), and the {@link SessionEndpoints} when
 * {@code tokenkeeper.web.endpoints.enabled=true}, with a {@link BearerTokenResolver} that leaves
 * their refresh to its body.
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

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(BearerTokenResolver.class)
    static class Resolver {

      /**
       * Spring Security's own resolution, but none on refresh. Its token is in the body; an
       * access token the client still attaches (many add it to every call) has often expired,
       * and resolving it would answer 401 {@code invalid_token}, which clients take as "logged
       * out", instead of renewing the pair. Spring's resource server uses a resolver bean when
       * the chain names none.
       */
      @Bean
      @ConditionalOnMissingBean(BearerTokenResolver.class)
      BearerTokenResolver tokenkeeperBearerTokenResolver(TokenkeeperProperties properties) {
        RequestMatcher refresh = PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.POST,
            properties.getWeb().getEndpoints().getBasePath() + "/refresh");
        BearerTokenResolver standard = new DefaultBearerTokenResolver();
        return request -> refresh.matches(request) ? null : standard.resolve(request);
      }
    }
  }
}
