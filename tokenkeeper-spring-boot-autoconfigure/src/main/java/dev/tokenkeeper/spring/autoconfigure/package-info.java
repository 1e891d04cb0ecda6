/**
 * Spring Boot auto-configuration for Tokenkeeper: a {@code TokenService} and its store from
 * {@code tokenkeeper.*} settings ({@link dev.tokenkeeper.spring.autoconfigure.TokenkeeperProperties}),
 * an {@code OpaqueTokenIntrospector} for Spring Security's resource server whose principal is a
 * {@link dev.tokenkeeper.spring.autoconfigure.TokenkeeperPrincipal}, 503 for a store outage, opt-in
 * session endpoints, a health indicator and the Micrometer binding.
 */
package dev.tokenkeeper.spring.autoconfigure;
