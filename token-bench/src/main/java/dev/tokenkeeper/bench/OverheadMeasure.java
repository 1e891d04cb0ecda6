package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.Durability;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The overhead of {@link MetricsOverheadBenchmark}'s sides, measured so that a loaded machine
 * moves every side alike: all of them in one JVM on one store, taking turns in short slices, each
 * timed by the thread's own CPU time (time spent descheduled does not count). Each round runs
 * every side once, starting one later each round; a side's overhead is the median over rounds
 * of its time per call divided by {@link Observation#OFF}'s in the same round.
 *
 * <p>Only the calling thread's CPU time counts: for {@link Observation#QUEUED} and
 * {@link Observation#SLOW_LISTENER} that is the caller's share (building, queuing or dropping the
 * event), not the dispatcher thread's work, which competes for the same cores. The drops are
 * printed so a reader sees that the slow listener's queue was full.
 *
 * <p>Sharing one JVM makes the store and listener call sites see several classes, which costs
 * every side, the baseline included, a type check per call; JMH's forks do not have that.
 */
final class OverheadMeasure {

  private static final int CALLS_PER_SLICE = 100_000;

  private OverheadMeasure() {}

  static void run(PrintStream out, int liveTokens, int rounds) {
    Fixtures.Filled filled = Fixtures.filled("overhead", liveTokens, Durability.SYNC);
    try {
      Observation[] sides = Observation.values();
      TokenService[] services = new TokenService[sides.length];
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      LongAdder heard = new LongAdder();
      for (Observation side : sides) {
        services[side.ordinal()] = side.service(filled.store(), registry, heard);
      }
      // A fresh copy of the token on every call, as a request presents it (see Presented).
      Presented sample = Presented.of(filled.sample());
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      int[] cursor = {0};
      // Warm-up: every side compiled before anything counts.
      for (int round = 0; round < 20; round++) {
        for (TokenService service : services) {
          slice(service, sample, cursor, threads);
        }
      }
      double[][] nanosPerCall = new double[sides.length][rounds];
      for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < sides.length; k++) {
          int side = (round + k) % sides.length;
          nanosPerCall[side][round] = slice(services[side], sample, cursor, threads);
        }
      }
      out.printf(Locale.ROOT, "%n# Observation overhead, interleaved (%d live tokens, %d rounds"
          + " of %,d calls per side, thread CPU time)%n", liveTokens, rounds, CALLS_PER_SLICE);
      out.println("| side | median ns per call | median of side / OFF per round | 25th-75th"
          + " percentile of that ratio |");
      out.println("|---|---|---|---|");
      for (Observation side : sides) {
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
          ratios[round] = nanosPerCall[side.ordinal()][round]
              / nanosPerCall[Observation.OFF.ordinal()][round];
        }
        out.printf(Locale.ROOT, "| %s | %.0f | %.3f | %.3f to %.3f |%n", side,
            percentile(nanosPerCall[side.ordinal()], 50), percentile(ratios, 50),
            percentile(ratios, 25), percentile(ratios, 75));
      }
      out.printf(Locale.ROOT, "events dropped: QUEUED %,d, SLOW_LISTENER %,d%n",
          services[Observation.QUEUED.ordinal()].droppedEvents(),
          services[Observation.SLOW_LISTENER.ordinal()].droppedEvents());
      out.flush();
    } finally {
      filled.close();
    }
  }

  /** One slice of calls on {@code service}: its CPU nanoseconds per call. */
  private static double slice(TokenService service, Presented sample, int[] cursor,
      ThreadMXBean threads) {
    int next = cursor[0];
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < CALLS_PER_SLICE; i++) {
      if (!service.authenticate(sample.copy(next)).isAuthenticated()) {
        throw new AssertionError("a live token was refused");
      }
      next = next + 1 == sample.size() ? 0 : next + 1;
    }
    long spent = threads.getCurrentThreadCpuTime() - start;
    cursor[0] = next;
    return spent / (double) CALLS_PER_SLICE;
  }

  private static double percentile(double[] values, int percent) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
  }
}
