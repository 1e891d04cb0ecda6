/**
 * Micrometer metrics for Tokenkeeper, under names starting with {@code tokenkeeper.}:
 * {@link dev.tokenkeeper.metrics.micrometer.TokenMetrics} counts a {@code TokenService}'s security
 * events, times its store and gauges its live sessions;
 * {@link dev.tokenkeeper.metrics.micrometer.FileStoreMetrics} binds the file store's own figures
 * (fsyncs, records per fsync, touch backlog, compactions, log size) and
 * {@link dev.tokenkeeper.metrics.micrometer.RedisStoreMetrics} the Redis store's connection pool.
 * The stores are optional dependencies: each binder is loaded only with its store.
 */
package dev.tokenkeeper.metrics.micrometer;
