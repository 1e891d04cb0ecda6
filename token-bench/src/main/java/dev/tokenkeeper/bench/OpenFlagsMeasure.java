package dev.tokenkeeper.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a cold open pays the JVM rather than its own work, and what a deployment's JVM flags take
 * off it. One store of {@code sessions} is grown in a child JVM as a server grows it (compactions
 * on). A training open then writes an application class-data archive. Then, round by round,
 * fresh JVMs open it in turn: with default flags, with the heap on 2 MiB pages, with the
 * archive, and with both (the order rotating each round, as this machine's speed drifts within
 * minutes). Each variant is compared with the default opened in the same round. Last, one JVM
 * opens the store three times in a row: its later opens run loaded and compiled code.
 */
final class OpenFlagsMeasure {

  private static final int REOPENS = 3;

  private OpenFlagsMeasure() {}

  static void run(PrintStream out, int sessions, int rounds)
      throws IOException, InterruptedException {
    Path dir = Fixtures.tempDirectory("open-flags");
    Path archive = Fixtures.tempDirectory("open-flags-archive").resolve("open.jsa");
    try {
      OpenMeasure.child("grow-child", dir, sessions, List.of());
      OpenMeasure.child("open-child", dir, sessions,
          List.of("-XX:ArchiveClassesAtExit=" + archive));
      List<List<String>> variants = List.of(List.of(),
          List.of("-XX:+UseTransparentHugePages"),
          List.of("-XX:SharedArchiveFile=" + archive),
          List.of("-XX:+UseTransparentHugePages", "-XX:SharedArchiveFile=" + archive));
      long[][] millis = new long[variants.size()][rounds];
      for (int round = 0; round < rounds; round++) {
        for (int turn = 0; turn < variants.size(); turn++) {
          int variant = (turn + round) % variants.size();
          millis[variant][round] =
              OpenMeasure.child("open-child", dir, sessions, variants.get(variant))[0];
        }
      }
      long[] again = OpenMeasure.child("reopen-child", dir, REOPENS, List.of());
      out.println();
      out.printf(Locale.ROOT, "# Open of %,d sessions from a snapshot, fresh JVMs taking turns:"
          + " %d rounds%n", sessions, rounds);
      out.println("| JVM flags | open ms, median | less than default in the same round, median"
          + " | faster than default in | runs (ms) |");
      out.println("|---|---|---|---|---|");
      for (int variant = 0; variant < variants.size(); variant++) {
        long[] gain = new long[rounds];
        int faster = 0;
        for (int round = 0; round < rounds; round++) {
          gain[round] = millis[0][round] - millis[variant][round];
          faster += gain[round] > 0 ? 1 : 0;
        }
        String flags = variants.get(variant).isEmpty() ? "default"
            : String.join(" ", variants.get(variant)).replace(archive.toString(), "open.jsa");
        out.printf(Locale.ROOT, "| `%s` | %d | %s | %s | %s |%n", flags,
            OpenMeasure.median(millis[variant]),
            variant == 0 ? "—" : Long.toString(OpenMeasure.median(gain)),
            variant == 0 ? "—" : faster + " of " + rounds, Arrays.toString(millis[variant]));
      }
      out.printf(Locale.ROOT, "- One JVM opening it %d times in a row (default flags): %s ms%n",
          REOPENS, Arrays.toString(again));
    } finally {
      Fixtures.delete(dir);
      Fixtures.delete(archive.getParent());
    }
  }
}
