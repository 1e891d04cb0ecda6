package dev.tokenkeeper.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the benchmarks. With no arguments: every JMH group, then Open, HTTP and Stores, each
 * printing a Markdown table of its figures and ratios. {@code open}, {@code http}, {@code stores}
 * (the file store beside Redis and PostgreSQL), {@code redis} (single Redis beside a cluster),
 * {@code touch} (writes caused by sliding expiry), {@code overhead [liveTokens [rounds]]}
 * (observation's cost, interleaved), {@code ratio [liveTokens [rounds [heap]]]} (authenticate
 * beside nimbus HS256, interleaved; {@code heap} opens the store with {@code lookupsOnHeap}) or
 * {@code sync} (group commit under load against one fsync per record; optional rounds and
 * seconds per side, default 5 and 10) runs that group alone;
 * {@code open-floor FILE SESSIONS} times the least an open of that many sessions could cost;
 * {@code memory} measures what this machine's memory costs a lookup and an open;
 * {@code open-flags [sessions [rounds]]} opens one store in fresh JVMs with deployment flags
 * and without, taking turns, then three times in one JVM;
 * any other arguments go to JMH (a regex such as {@code Authenticate}, options such as
 * {@code -p liveTokens=1000}), with modest defaults for a shared machine
 * ({@code -f 1 -wi 2 -w 2s -i 3 -r 2s}) where the arguments set none.
 */
public final class BenchMain {

  private static final List<String> JMH_INFO = List.of("-h", "-l", "-lp", "-lprof", "-lrf");

  private BenchMain() {}

  /** Entry point; see the class documentation. */
  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    if (args.length == 0) {
      jmh(new String[0], out);
      OpenMeasure.run(out);
      HttpMeasure.run(out);
      StoresMeasure.run(out);
    } else if (args[0].equals("open")) {
      OpenMeasure.run(out);
    } else if (args[0].equals("http")) {
      HttpMeasure.run(out);
    } else if (args[0].equals("stores")) {
      StoresMeasure.run(out);
    } else if (args[0].equals("redis")) {
      RedisMeasure.run(out);
    } else if (args[0].equals("touch")) {
      TouchWritesMeasure.run(out, 1_000, java.time.Duration.ofSeconds(30),
          java.time.Duration.ofSeconds(5));
    } else if (args[0].equals("overhead")) {
      int live = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
      OverheadMeasure.run(out, live, args.length > 2 ? Integer.parseInt(args[2]) : 40);
    } else if (args[0].equals("ratio")) {
      RatioMeasure.run(out, args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000,
          args.length > 2 ? Integer.parseInt(args[2]) : 20,
          args.length > 3 && args[3].equals("heap"));
    } else if (args[0].equals("sync")) {
      SyncMeasure.run(out, args.length > 1 ? Integer.parseInt(args[1]) : 5,
          java.time.Duration.ofSeconds(args.length > 2 ? Integer.parseInt(args[2]) : 10));
    } else if (args[0].equals("memory")) {
      MemoryMeasure.run(out);
    } else if (args[0].equals("open-floor")) {
      OpenFloorMeasure.run(out, Path.of(args[1]), Integer.parseInt(args[2]));
    } else if (args[0].equals("open-flags")) {
      OpenFlagsMeasure.run(out, args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000,
          args.length > 2 ? Integer.parseInt(args[2]) : 9);
    } else if (args[0].equals("reopen-child")) {
      OpenMeasure.reopenChild(Path.of(args[1]), Integer.parseInt(args[2]));
    } else if (args[0].equals("open-child")) {
      OpenMeasure.measureChild(Path.of(args[1]), Integer.parseInt(args[2]));
    } else if (args[0].equals("grow-child")) {
      OpenMeasure.growChild(Path.of(args[1]), Integer.parseInt(args[2]));
    } else if (Arrays.stream(args).anyMatch(JMH_INFO::contains)) {
      org.openjdk.jmh.Main.main(args);
    } else {
      jmh(args, out);
    }
  }

  private static void jmh(String[] args, PrintStream out) throws Exception {
    CommandLineOptions given = new CommandLineOptions(args);
    ChainedOptionsBuilder options = new OptionsBuilder().parent(given);
    if (given.getIncludes().isEmpty()) {
      options.include(BenchMain.class.getPackageName() + ".*Benchmark");
    }
    if (!given.getForkCount().hasValue()) {
      options.forks(1);
    }
    if (!given.getWarmupIterations().hasValue()) {
      options.warmupIterations(2);
    }
    if (!given.getWarmupTime().hasValue()) {
      options.warmupTime(TimeValue.seconds(2));
    }
    if (!given.getMeasurementIterations().hasValue()) {
      options.measurementIterations(3);
    }
    if (!given.getMeasurementTime().hasValue()) {
      options.measurementTime(TimeValue.seconds(2));
    }
    if (!given.getResult().hasValue()) {
      options.resultFormat(ResultFormatType.JSON).result("jmh-result.json");
    }
    Collection<RunResult> results = new Runner(options.build()).run();
    summarize(results, out);
  }

  /** Prints every score, then the ratios the targets speak of, each from this one run. */
  static void summarize(Collection<RunResult> results, PrintStream out) {
    Map<String, double[]> scores = new TreeMap<>();
    for (RunResult result : results) {
      String name = result.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      StringBuilder key = new StringBuilder(name);
      for (String param : result.getParams().getParamsKeys()) {
        key.append(' ').append(param).append('=').append(result.getParams().getParam(param));
      }
      scores.put(key.toString(), new double[] {result.getPrimaryResult().getScore(),
          result.getPrimaryResult().getScoreError()});
    }
    out.println();
    out.println("# JMH scores (operations per second, summed over threads; ± 99.9% error)");
    out.println("| benchmark | ops/s | ± | ns/op per thread |");
    out.println("|---|---|---|---|");
    scores.forEach((key, score) -> out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %,.0f |%n",
        key, score[0], score[1], TimeUnit.SECONDS.toNanos(threads(key)) / score[0]));

    out.println();
    out.println("# Ratios (from the scores above)");
    for (String live : List.of("1000", "100000", "1000000")) {
      String p = " liveTokens=" + live;
      ratio(out, scores, "Authenticate " + live + ", 1 thread: Tokenkeeper / JWT HS256 (target >= 6)",
          "AuthenticateBenchmark.tokenkeeper" + p, "AuthenticateBenchmark.jwtHs256");
      ratio(out, scores, "Authenticate " + live + ", 2 threads: Tokenkeeper / JWT HS256",
          "AuthenticateBenchmark.tokenkeeperTwoThreads" + p,
          "AuthenticateBenchmark.jwtHs256TwoThreads");
      ratio(out, scores, "Authenticate " + live + ", 1 thread: map floor / Tokenkeeper (target <= 5)",
          "AuthenticateBenchmark.mapGet" + p, "AuthenticateBenchmark.tokenkeeper" + p);
      ratio(out, scores, "Authenticate " + live + ", 2 threads: map floor / Tokenkeeper",
          "AuthenticateBenchmark.mapGetTwoThreads" + p,
          "AuthenticateBenchmark.tokenkeeperTwoThreads" + p);
    }
    for (String mode : List.of("SYNC", "NONE")) {
      ratio(out, scores, "Issue " + mode + ", 1 thread: 1k / 1M live tokens (target <= 2)",
          "IssueBenchmark.tokenkeeper durability=" + mode + " liveTokens=1000",
          "IssueBenchmark.tokenkeeper durability=" + mode + " liveTokens=1000000");
    }
    ratio(out, scores, "Issue origin: 1k / 100k live tokens (linear would be 100)",
        "IssueBenchmark.origin liveTokens=1000", "IssueBenchmark.origin liveTokens=100000");
    ratio(out, scores, "Issue at 100k: Tokenkeeper SYNC / origin (target >= 100)",
        "IssueBenchmark.tokenkeeper durability=SYNC liveTokens=100000",
        "IssueBenchmark.origin liveTokens=100000");
    ratio(out, scores, "Issue SYNC 16 threads / fsync-per-record floor (target >= 5)",
        "IssueBenchmark.tokenkeeperSync16Threads", "IssueBenchmark.diskForcePerRecord");
    ratio(out, scores, "Issue SYNC 4 threads / fsync-per-record floor",
        "IssueBenchmark.tokenkeeperSync4Threads", "IssueBenchmark.diskForcePerRecord");
    ratio(out, scores, "Issue SYNC 1 thread / fsync-per-record floor",
        "IssueBenchmark.tokenkeeper durability=SYNC liveTokens=1000",
        "IssueBenchmark.diskForcePerRecord");
    ratio(out, scores, "Issue SYNC 16 threads / batch-of-64 floor",
        "IssueBenchmark.tokenkeeperSync16Threads", "IssueBenchmark.diskForcePerBatch64");
    for (String live : List.of("1000", "1000000")) {
      for (String observe : List.of("EVENTS", "METRICS", "METRICS_ALL_TIMED")) {
        String with = " liveTokens=" + live + " observe=";
        ratio(out, scores, "Authenticate " + live + ", 1 thread: " + observe
                + " / OFF (target >= 0.95)",
            "MetricsOverheadBenchmark.authenticate" + with + observe,
            "MetricsOverheadBenchmark.authenticate" + with + "OFF");
        ratio(out, scores, "Garbage refused, 1 thread: " + observe + " / OFF",
            "MetricsOverheadBenchmark.rejectGarbage" + with + observe,
            "MetricsOverheadBenchmark.rejectGarbage" + with + "OFF");
      }
    }
    out.flush();
  }

  private static int threads(String key) {
    if (key.contains("TwoThreads")) {
      return 2;
    }
    if (key.contains("Sync4Threads")) {
      return 4;
    }
    return key.contains("Sync16Threads") ? 16 : 1;
  }

  private static void ratio(PrintStream out, Map<String, double[]> scores, String label,
      String numerator, String denominator) {
    double[] top = scores.get(numerator);
    double[] bottom = scores.get(denominator);
    if (top != null && bottom != null) {
      out.printf(Locale.ROOT, "- %s: %.3f%n", label, top[0] / bottom[0]);
    }
  }
}
