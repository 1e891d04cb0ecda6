package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.TokenMetrics;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.commonspool2.CommonsObjectPool2Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * What the demo shows of itself: token-metrics-micrometer on a Prometheus registry (served by
 * {@link MetricsServlet}), the pool meters of the Redis client (PostgreSQL's pool registers its
 * own, see {@link JdbcStores}), and the {@link AuditLog}.
 *
 * <p>The file store answers lookups from memory, so only its writes are timed; Redis and
 * PostgreSQL are a network away, so every call is. Closing stops the audit log (after writing
 * what it holds) and the pool meters.
 */
final class Observability implements AutoCloseable {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AuditLog audit = AuditLog.start();
  private CommonsObjectPool2Metrics pools;

  Observability() {
    FunctionCounter.builder("tokenkeeper.audit.dropped", audit, AuditLog::dropped)
        .description("security events the audit log dropped because it could not keep up")
        .register(registry);
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  /** {@code builder} with {@code store}, timed, and the metrics and audit log as listeners. */
  TokenService.Builder observe(TokenService.Builder builder, TokenStore store) {
    TokenMetrics.Builder metrics = TokenMetrics.builder(registry);
    if (store instanceof FileTokenStore file) {
      metrics.liveSessions(file::liveCount);
    }
    if (store instanceof RedisTokenStore) {
      // Jedis's pool is Apache Commons Pool, which publishes itself in JMX; this reads it there.
      pools = new CommonsObjectPool2Metrics();
      pools.bindTo(registry);
    }
    TokenMetrics built = metrics.build();
    TokenStore timed = store instanceof FileTokenStore
        ? built.timedWrites(store) : built.timed(store);
    return builder.store(timed).eventListeners(built, audit);
  }

  @Override
  public void close() {
    audit.close();
    if (pools != null) {
      pools.close();
    }
    registry.close();
  }
}
