package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "With the heap too small, the store goes on working": a child JVM of a given
 * -Xmx opens a filled store, with and without lookupsOnHeap, waits for the move's thread to end,
 * then serves a load. Whatever heap the store works in without the option, it must work in with
 * it. Two loads:
 *
 * <ul>
 *   <li>{@code ordinary}: lookups, creates that grow the tables, some revokes, one compaction;
 *   <li>{@code revokes}: the heap the store needs grows after the move, as it does when sessions
 *       turn into records: every user's sessions are revoked ("log out everywhere", as an incident
 *       response would), then the store serves lookups.
 * </ul>
 *
 * <p>Each child prints the steps it reached; a child with the option that fails at an earlier
 * step than the child without it, at the same heap, breaks the promise. Loads and heaps can be
 * set with {@code -Dattack.runs=ordinary@44m,revokes@40m}, sessions with
 * {@code -Dattack.sessions=100000} and the revoked ones with {@code -Dattack.revokes}.
 */
class LookupsOnHeapSmallHeapTest {

  static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  static final int SESSIONS = Integer.getInteger("attack.sessions", 100_000);
  static final int REVOKES = Integer.getInteger("attack.revokes", SESSIONS);

  @TempDir
  Path dir;

  static SessionId idOf(int n) {
    return SessionId.of(n, 7);
  }

  @Test
  void aHeapTheStoreWorksInWithout_itWorksInWith() throws Exception {
    Path store = dir.resolve("store");
    fill(store);
    Map<String, String> outcomes = new LinkedHashMap<>();
    List<String> broken = new ArrayList<>();
    // load@heap. At 100,000 sessions the copies are about 9.4 MB, so they are made in a heap of
    // 75 MB or more (an eighth). Both loads work without the option at these heaps. With copies
    // allowed up to a quarter of the heap, both failed at 44 and 40 MB in every run tried
    // (the compaction's fold and the revoked sessions' records ran out of heap).
    List<String> moved = new ArrayList<>();
    for (String run : System.getProperty("attack.runs",
        "ordinary@44m,revokes@40m,ordinary@96m,revokes@96m").split(",")) {
      String load = run.substring(0, run.indexOf('@'));
      String heap = run.substring(run.indexOf('@') + 1);
      String without = run(store, heap, load, false);
      String with = run(store, heap, load, true);
      outcomes.put(run, "without: " + without + " | with: " + with);
      if (stepOf(with) < stepOf(without)) {
        broken.add(run);
      }
      if (with.contains("PARTS 0")) {
        moved.add(run);
      }
    }
    outcomes.forEach((run, outcome) -> System.out.println(run + " " + outcome));
    assertTrue(broken.isEmpty(), () -> "with lookupsOnHeap the store fails earlier than "
        + "without, at " + broken + ": " + outcomes);
    if (System.getProperty("attack.runs") == null) {
      assertEquals(List.of("ordinary@96m", "revokes@96m"), moved,
          "the copies are made where the heap has room, and only there: " + outcomes);
    }
  }

  /** A store of {@link #SESSIONS} plain sessions, compacted: an image to map. */
  static void fill(Path store) {
    MutableClock clock = new MutableClock(T0);
    try (FileTokenStore filled = FileTokenStore.builder().directory(store).clock(clock)
        .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).build()) {
      for (int n = 0; n < SESSIONS; n++) {
        filled.create(SessionRecord.of(new Session(idOf(n), "user" + n % 10_000, null, T0, T0,
            T0.plusSeconds(36_000)), null, null),
            List.of(TokenRecord.of(RandomSessions.numbered(n), idOf(n))));
      }
      filled.compact();
    }
  }

  private static final List<String> STEPS =
      List.of("open", "settle", "lookups", "creates", "revokes", "compact", "after", "OK");

  /** How far a child got: the index of the step it failed at, or of OK. */
  static int stepOf(String outcome) {
    if (outcome.contains("OK served")) {
      return STEPS.indexOf("OK");
    }
    int reached = 0;
    for (int i = 0; i < STEPS.size(); i++) {
      if (outcome.contains("STEP " + STEPS.get(i))) {
        reached = i;
      }
    }
    return reached;
  }

  private String run(Path store, String heap, String load, boolean onHeap) throws Exception {
    String name = load + "-" + heap + "-" + onHeap;
    Path copy = dir.resolve("copy-" + name);
    copyTree(store, copy);
    Path out = dir.resolve("out-" + name + ".txt");
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
        "-Dattack.sessions=" + SESSIONS, "-Dattack.revokes=" + REVOKES, "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), Child.class.getName(), copy.toString(),
        Boolean.toString(onHeap), load);
    Process child = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    if (!child.waitFor(120, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      return "TIMEOUT";
    }
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    String result = lines.stream().filter(l -> l.startsWith("OK") || l.startsWith("FAIL"))
        .findFirst().orElse("EXIT " + child.exitValue() + " " + lines);
    String parts = String.join(" ", lines.stream()
        .filter(l -> l.startsWith("PARTS") || l.startsWith("HEAP") || l.startsWith("LOOKUPS")
            || l.startsWith("REVOKED"))
        .toList());
    String reached = lines.stream().filter(l -> l.startsWith("STEP")).reduce((a, b) -> b)
        .orElse("STEP open");
    if (result.startsWith("EXIT")) {
      result = "EXIT " + child.exitValue() + " (an OutOfMemoryError)";
    }
    return reached + " " + parts + " " + result;
  }

  private static void copyTree(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (file.getFileName().toString().equals("LOCK")
            || file.getFileName().toString().endsWith(".lock")) {
          continue;
        }
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
  }

  private static boolean moving() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().contains("tokenkeeper-uses") && t.isAlive());
  }

  /** The child: opens, waits for the move's thread to end, then serves. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      PrintStream out = System.out;
      Path store = Path.of(args[0]);
      if (args[1].equals("fill")) {
        fill(store);
        return;
      }
      boolean onHeap = Boolean.parseBoolean(args[1]);
      String load = args[2];
      MutableClock clock = new MutableClock(T0);
      FileTokenStore opened;
      try {
        opened = FileTokenStore.builder().directory(store).clock(clock)
            .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE)
            .lookupsOnHeap(onHeap).build();
      } catch (Throwable e) {
        out.println("FAIL open " + e);
        out.flush();
        System.exit(2);
        return;
      }
      String step = "settle";
      out.println("STEP settle");
      try (FileTokenStore s = opened) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (moving() && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        out.println("PARTS " + s.mappedLookupParts());
        out.println("HEAP used " + (Runtime.getRuntime().totalMemory()
            - Runtime.getRuntime().freeMemory()) / 1_000_000 + " MB of "
            + Runtime.getRuntime().maxMemory() / 1_000_000);
        if (load.equals("ordinary")) {
          step = "lookups";
          out.println("STEP lookups");
          for (int n = 0; n < SESSIONS; n += 7) {
            if (s.find(RandomSessions.numbered(n)).isEmpty()) {
              throw new AssertionError("lost " + n);
            }
          }
          step = "creates";
          out.println("STEP creates");
          for (int k = 0; k < SESSIONS / 3; k++) {
            SessionId id = SessionId.of(-1 - k, 9);
            s.create(SessionRecord.of(new Session(id, "late" + k % 100, null, T0, T0,
                T0.plusSeconds(36_000)), null, null),
                List.of(TokenRecord.of(RandomSessions.numbered(10_000_000 + k), id)));
          }
          step = "revokes";
          out.println("STEP revokes");
          for (int n = 0; n < SESSIONS; n += 11) {
            s.revokeSession(idOf(n), T0.plusSeconds(1));
          }
        } else {
          step = "revokes";
          out.println("STEP revokes");
          // "Log out everywhere" for most users: each subject has SESSIONS / 10,000 sessions.
          int subjects = REVOKES / (SESSIONS / 10_000);
          int n = 0;
          int revoked = 0;
          try {
            for (; n < subjects; n++) {
              revoked += s.revokeAll("user" + n, T0.plusSeconds(1));
            }
          } finally {
            out.println("REVOKED " + revoked + " sessions of " + n + " subjects");
          }
        }
        if (load.equals("ordinary")) {
          step = "compact";
          out.println("STEP compact");
          s.compact();
        }
        step = "after";
        out.println("STEP after");
        for (int n = 0; n < SESSIONS; n += 13) {
          if (s.find(RandomSessions.numbered(n)).isEmpty()) {
            throw new AssertionError("lost " + n);
          }
        }
        out.println("OK served " + s.served() + " parts " + s.mappedLookupParts()
            + " failed " + s.isFailed());
      } catch (Throwable e) {
        out.println("FAIL at " + step + ": " + e);
        for (StackTraceElement frame : e.getStackTrace()) {
          out.println("  at " + frame);
        }
        out.flush();
        System.exit(1);
      }
      out.flush();
    }
  }
}
