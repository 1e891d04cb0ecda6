package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * Auto-configures an {@link OpaqueTokenIntrospector} that checks tokens with the
 * {@link TokenService}, when Spring Security's resource server is on the class path and the
 * application defines no introspector of its own. It runs before Boot's resource-server and
 * user-details configurations, so Boot neither builds a remote introspector nor generates a
 * password. The introspector applies {@code tokenkeeper.limits.*}; set wrong, they stop the
 * startup with a message naming the property.
 */
@AutoConfiguration(after = TokenkeeperAutoConfiguration.class, beforeName = {
    "org.springframework.boot.security.oauth2.server.resource.autoconfigure.servlet.OAuth2ResourceServerAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration"})
@ConditionalOnClass({OpaqueTokenIntrospector.class, RequestContextHolder.class,
    HttpServletRequest.class})
public class TokenkeeperSecurityAutoConfiguration {

  /** Not for applications: Spring creates it. */
  public TokenkeeperSecurityAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(OpaqueTokenIntrospector.class)
  @ConditionalOnBean(TokenService.class)
  OpaqueTokenIntrospector tokenkeeperIntrospector(TokenService tokens,
      TokenkeeperProperties properties, ApplicationContext context) {
    return new TokenkeeperIntrospector(tokens, IntrospectionLimits.of(properties.getLimits(),
        Clock.systemUTC(), context.getClassLoader()));
  }
}
