/**
 * Bearer-token authentication (RFC 6750) for any Servlet 6.0 container, backed by token-core's
 * {@link dev.tokenkeeper.core.TokenService}.
 *
 * <p>The entry point is {@link dev.tokenkeeper.servlet.BearerTokenFilter}; the authenticated
 * user reaches the application as a {@link dev.tokenkeeper.servlet.TokenPrincipal}. For browsers,
 * {@link dev.tokenkeeper.servlet.TokenCookies} carries the tokens in {@code HttpOnly} cookies and
 * checks the origin of unsafe requests. {@link dev.tokenkeeper.servlet.WindowLimiter} and
 * {@link dev.tokenkeeper.servlet.AddressGroup}, the filter's brute-force and rate limiter and its
 * client-address keys, are public for other HTTP adapters (the Spring Boot starter's). Everything
 * else in this package is package-private.
 */
package dev.tokenkeeper.servlet;
