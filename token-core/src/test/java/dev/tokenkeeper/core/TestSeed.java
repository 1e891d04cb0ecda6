package dev.tokenkeeper.core;

import java.util.Random;

/**
 * The seed of a randomized test: taken from {@code -Dtest.seed=N} to replay a run, else fresh,
 * and printed either way with the command-line flag that replays it, so a failure on a build
 * machine can be rerun exactly. Published in token-core's test-jar.
 */
public final class TestSeed {

  /** The system property that replays a seed. */
  public static final String PROPERTY = "test.seed";

  private TestSeed() {}

  /** A seed for the test named {@code test}: {@code -Dtest.seed}, else fresh; printed. */
  public static long of(String test) {
    Long given = Long.getLong(PROPERTY);
    long seed = given != null ? given : System.nanoTime() ^ Double.doubleToLongBits(Math.random());
    System.out.println(test + " seed " + seed + " (replay with -D" + PROPERTY + "=" + seed + ")");
    return seed;
  }

  /** A {@link Random} seeded by {@link #of(String)}. */
  public static Random random(String test) {
    return new Random(of(test));
  }

  /** How a failure message names {@code seed}, so it can be replayed. */
  public static String replay(long seed) {
    return "seed " + seed + " (replay with -D" + PROPERTY + "=" + seed + ")";
  }
}
