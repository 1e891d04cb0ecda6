/**
 * Micrometer metrics for Tokenkeeper: {@link dev.tokenkeeper.metrics.micrometer.TokenMetrics}
 * counts a {@code TokenService}'s security events, times its store and gauges its live sessions,
 * under names starting with {@code tokenkeeper.}.
 */
package dev.tokenkeeper.metrics.micrometer;
