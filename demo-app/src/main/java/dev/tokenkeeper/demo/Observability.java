package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.FileStoreMetrics;
import dev.tokenkeeper.metrics.micrometer.RedisStoreMetrics;
import dev.tokenkeeper.metrics.micrometer.TokenMetrics;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * What the demo shows of itself: token-metrics-micrometer on a Prometheus registry (served by
 * {@link MetricsServlet}), the store's own meters (the file store's fsyncs, touch backlog,
 * compactions and log size; the Redis store's pool; PostgreSQL's pool registers its own, see
 * {@link JdbcStores}), and the {@link AuditLog}.
 *
 * <p>The file store answers lookups from memory, so only its writes are timed; Redis and
 * PostgreSQL are a network away, so every call is. The file store's live sessions are counted at
 * most every 30 seconds (a count walks them all), by the meters' clock. Closing stops the audit
 * log (after writing what it holds).
 */
final class Observability implements AutoCloseable {

  private final PrometheusMeterRegistry registry;
  private final AuditLog audit = AuditLog.start();

  /** Meters on {@code clock}'s time (see {@link #meterClock}). */
  Observability(Clock clock) {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(),
        meterClock(clock));
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
      new FileStoreMetrics(file).bindTo(registry);
    }
    if (store instanceof RedisTokenStore redis) {
      new RedisStoreMetrics(redis).bindTo(registry);
    }
    TokenMetrics built = metrics.build();
    TokenStore timed = store instanceof FileTokenStore
        ? built.timedWrites(store) : built.timed(store);
    return builder.store(timed).eventListeners(built, audit);
  }

  @Override
  public void close() {
    audit.close();
    registry.close();
  }

  /**
   * The system's clock for the meters, or, when the demo runs on another clock (a test's, which
   * the test moves), a clock following it, so a test that moves time also ages the cached
   * live-session count. Timers then read that clock too.
   */
  static io.micrometer.core.instrument.Clock meterClock(Clock clock) {
    if (clock.equals(Clock.systemUTC())) {
      return io.micrometer.core.instrument.Clock.SYSTEM;
    }
    return new io.micrometer.core.instrument.Clock() {
      @Override
      public long wallTime() {
        return clock.millis();
      }

      @Override
      public long monotonicTime() {
        return TimeUnit.MILLISECONDS.toNanos(clock.millis());
      }
    };
  }
}
