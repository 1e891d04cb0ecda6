package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.Durability;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * What observability costs the hot path: {@link TokenService#authenticate} of a live token on a
 * file store of {@code liveTokens} live tokens, and of garbage, observed as {@link Observation}
 * says (no listener; a listener counting events; token-metrics-micrometer on a Prometheus
 * registry, with writes timed or every call timed). Every side runs in one JMH run, each in its
 * own fork so none inherits another's compiled code.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MetricsOverheadBenchmark {

  /** One filled store, and a service over it observed as {@code observe} says. */
  @State(Scope.Benchmark)
  public static class Observed {
    @Param({"OFF", "EVENTS", "METRICS", "METRICS_ALL_TIMED"})
    Observation observe;

    @Param({"1000"})
    int liveTokens;

    Fixtures.Filled filled;
    Presented sample;
    TokenService tokens;
    TokenService scratch;
    Presented garbage;
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final LongAdder heard = new LongAdder();

    @Setup(Level.Trial)
    public void build() {
      filled = Fixtures.filled("observed", liveTokens, Durability.SYNC);
      sample = Presented.of(filled.sample());
      tokens = observe.service(filled.store(), registry, heard);
      scratch = observe.service(new InMemoryTokenStore(), registry, heard);
      String good = scratch.issue("user@example.com").plaintext();
      String[] refused = new String[1024];
      for (int i = 0; i < refused.length; i++) {
        refused[i] = good.substring(0, good.length() - 4) + String.format("%04d", i) + "!";
      }
      garbage = Presented.of(refused);
    }

    @TearDown(Level.Trial)
    public void close() {
      // A side that observed nothing would measure nothing: check that it did.
      boolean counted = switch (observe) {
        case OFF, QUEUED, SLOW_LISTENER -> true; // not in @Param: the overhead measure runs them
        case EVENTS -> heard.sum() > 0;
        case METRICS, METRICS_ALL_TIMED -> registry.get("tokenkeeper.authentications")
            .tag("result", "authenticated").counter().count() > 0;
      };
      filled.close();
      if (!counted) {
        throw new AssertionError(observe + " observed nothing");
      }
    }
  }

  @Benchmark
  @Threads(1)
  public AuthResult authenticate(Observed observed, AuthenticateBenchmark.Cursor cursor) {
    AuthResult result = observed.tokens.authenticate(cursor.next(observed.sample));
    if (!result.isAuthenticated()) {
      throw new AssertionError("a live token was refused: " + result);
    }
    return result;
  }

  /** A token that fails the format check: the cheapest refusal, where an event weighs most. */
  @Benchmark
  @Threads(1)
  public AuthResult rejectGarbage(Observed observed, AuthenticateBenchmark.Cursor cursor) {
    AuthResult result = observed.scratch.authenticate(cursor.next(observed.garbage));
    if (result.isAuthenticated()) {
      throw new AssertionError("garbage was accepted");
    }
    return result;
  }
}
