package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.Durability;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Authenticate on a file store of {@code liveTokens} live tokens beside an HS256 JWT verified
 * with nimbus-jose-jwt, measured so that this machine's drift moves both sides alike. JMH runs
 * the two in forks a minute apart, and here the same code's speed moves by a fifth within
 * minutes, so a ratio from JMH says as much about the minute as about the code. Here both run in
 * one JVM, taking turns in slices of about a second of the thread's own CPU time (time spent
 * descheduled does not count), the side that goes first alternating by round; the ratio is the
 * median over rounds of nimbus's time per call divided by authenticate's in the same round. Each
 * side presents new copies of its tokens ({@link Presented}), as in {@link AuthenticateBenchmark}.
 */
final class RatioMeasure {

  private static final int WARM_ROUNDS = 4;
  private static final int AUTHENTICATE_CALLS = 1_000_000;
  private static final int VERIFY_CALLS = 200_000;

  private RatioMeasure() {}

  static void run(PrintStream out, int liveTokens, int rounds, boolean lookupsOnHeap)
      throws Exception {
    Fixtures.Filled filled =
        Fixtures.filled("ratio", liveTokens, Durability.SYNC, lookupsOnHeap);
    try {
      Presented tokens = Presented.of(filled.sample());
      AuthenticateBenchmark.Jwt jwt = new AuthenticateBenchmark.Jwt();
      jwt.sign();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      AuthenticateBenchmark.Cursor ours = new AuthenticateBenchmark.Cursor();
      AuthenticateBenchmark.Cursor theirs = new AuthenticateBenchmark.Cursor();
      double[] authenticate = new double[rounds];
      double[] verify = new double[rounds];
      double[] ratio = new double[rounds];
      for (int round = -WARM_ROUNDS; round < rounds; round++) {
        double a;
        double v;
        if ((round & 1) == 0) {
          a = authenticateSlice(filled.tokens(), tokens, ours, threads);
          v = verifySlice(jwt, theirs, threads);
        } else {
          v = verifySlice(jwt, theirs, threads);
          a = authenticateSlice(filled.tokens(), tokens, ours, threads);
        }
        if (round >= 0) {
          authenticate[round] = a;
          verify[round] = v;
          ratio[round] = v / a;
        }
      }
      out.println();
      out.printf(Locale.ROOT, "# Authenticate at %,d live tokens beside nimbus HS256,"
          + " interleaved: %d rounds of about a second a side%s%n", liveTokens, rounds,
          lookupsOnHeap ? "; the store opened with lookupsOnHeap" : "");
      out.println("| side | ns per call, median (range) |");
      out.println("|---|---|");
      out.printf(Locale.ROOT, "| tokenkeeper authenticate | %,.0f (%,.0f to %,.0f) |%n",
          median(authenticate), min(authenticate), max(authenticate));
      out.printf(Locale.ROOT, "| nimbus HS256 verify | %,.0f (%,.0f to %,.0f) |%n",
          median(verify), min(verify), max(verify));
      out.printf(Locale.ROOT, "- Ratio, nimbus / tokenkeeper (target >= 6): median %.2f"
          + " (rounds %.2f to %.2f)%n", median(ratio), min(ratio), max(ratio));
    } finally {
      filled.close();
    }
  }

  private static double authenticateSlice(TokenService service, Presented tokens,
      AuthenticateBenchmark.Cursor cursor, ThreadMXBean threads) {
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < AUTHENTICATE_CALLS; i++) {
      if (!service.authenticate(cursor.next(tokens)).isAuthenticated()) {
        throw new AssertionError("a live token was refused");
      }
    }
    return (threads.getCurrentThreadCpuTime() - start) / (double) AUTHENTICATE_CALLS;
  }

  private static double verifySlice(AuthenticateBenchmark.Jwt jwt,
      AuthenticateBenchmark.Cursor cursor, ThreadMXBean threads) throws Exception {
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < VERIFY_CALLS; i++) {
      AuthenticateBenchmark.verify(jwt, cursor);
    }
    return (threads.getCurrentThreadCpuTime() - start) / (double) VERIFY_CALLS;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElseThrow();
  }

  private static double max(double[] values) {
    return Arrays.stream(values).max().orElseThrow();
  }
}
