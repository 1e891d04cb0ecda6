package dev.tokenkeeper.core;

import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The seed of a randomized test: taken from a system property to replay a run, else fresh,
 * and printed either way with the command-line flag that replays it, so a failure on a build
 * machine can be rerun exactly. The property is {@code -Dtest.seed=N} unless the test names its
 * own (a replay flag users already know, such as {@code -Dcrashloop.seed}). Fuzz tests that run a
 * fixed list of seeds take it from {@link #fuzzSeeds}. Published in token-core's test-jar.
 */
public final class TestSeed {

  /** The system property that replays a seed. */
  public static final String PROPERTY = "test.seed";

  /** The property that runs a fuzz test on one seed only. */
  public static final String FUZZ_PROPERTY = "fuzz.seed";

  private TestSeed() {}

  /** A seed for the test named {@code test}: {@code -Dtest.seed}, else fresh; printed. */
  public static long of(String test) {
    return of(test, PROPERTY);
  }

  /** A seed for the test named {@code test}: {@code -D<property>}, else fresh; printed. */
  public static long of(String test, String property) {
    Long given = Long.getLong(property);
    long seed = given != null ? given : System.nanoTime() ^ Double.doubleToLongBits(Math.random());
    System.out.println(test + " " + replay(seed, property));
    return seed;
  }

  /** A {@link Random} seeded by {@link #of(String)}. */
  public static Random random(String test) {
    return new Random(of(test));
  }

  /** How a failure message names {@code seed}, so it can be replayed. */
  public static String replay(long seed) {
    return replay(seed, PROPERTY);
  }

  /** How a failure message names {@code seed} replayed through {@code -D<property>}. */
  public static String replay(long seed, String property) {
    return "seed " + seed + " (replay with -D" + property + "=" + seed + ")";
  }

  /**
   * The seeds a fuzz test runs, each a test case named by its seed: {@code -Dfuzz.seed=N} alone,
   * else 1 to {@code -Dfuzz.seeds} (default {@code count}), the same every run.
   */
  public static Stream<Long> fuzzSeeds(int count) {
    Long one = Long.getLong(FUZZ_PROPERTY);
    if (one != null) {
      return Stream.of(one);
    }
    return LongStream.rangeClosed(1, Integer.getInteger("fuzz.seeds", count)).boxed();
  }
}
