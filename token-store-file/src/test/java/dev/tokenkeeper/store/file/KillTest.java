package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes: a child JVM creates, uses, revokes and refreshes from several threads and is
 * killed with {@code destroyForcibly()} (SIGKILL) at random moments (seeded; the seed is printed);
 * every operation it acknowledged must be in the reopened store, in every durability mode, and no
 * replayed use may move a session's times back. A second JVM opening a store in use gets the
 * in-use error.
 */
class KillTest {

  private static final Pattern LINE = Pattern.compile("[SRrT] [0-9a-f]{64}");

  @TempDir
  Path tmp;

  private Process start(Path stderr, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        StoreChild.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectError(stderr.toFile())
        .start();
  }

  @Test
  void kill_atRandomMoments_everyAcknowledgedIssueAndRevokeSurvives() throws Exception {
    Path dir = tmp.resolve("store");
    long seed = TestSeed.of("KillTest", "kill.seed");
    Random random = new Random(seed);
    Set<String> saved = new HashSet<>();
    Set<String> revoked = new HashSet<>();
    Set<String> revoking = new HashSet<>();
    Set<String> rotated = new HashSet<>();
    List<Issued> filled = fill(dir);
    String[] modes = {"SYNC", "INTERVAL", "NONE", "SYNC", "INTERVAL"};
    for (int round = 0; round < modes.length; round++) {
      Path stderr = tmp.resolve("child-" + round + ".err");
      // A small threshold makes compactions run, and get killed, too.
      Process child = start(stderr, "work", dir.toString(), "4", modes[round], "20000");
      int target = 50 + random.nextInt(1500);
      CountDownLatch acked = new CountDownLatch(target);
      ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            lines.add(line);
            acked.countDown();
          }
        } catch (IOException e) {
          // the pipe closes when the child is killed
        }
      });
      reader.start();
      boolean reached = acked.await(30, TimeUnit.SECONDS);
      if (round == 0) {
        StoreLockedException e =
            assertThrows(StoreLockedException.class, () -> FileTokenStore.open(dir));
        assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
      }
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      reader.join(10_000);
      assertTrue(reached, "child acknowledged too little: " + Files.readString(stderr));
      for (String line : lines) {
        // A line cut by the kill is not an acknowledgement the test can rely on.
        if (LINE.matcher(line).matches()) {
          Set<String> set = switch (line.charAt(0)) {
            case 'S' -> saved;
            case 'R' -> revoked;
            case 'T' -> rotated;
            default -> revoking;
          };
          set.add(line.substring(2));
        }
      }
    }
    assertFalse(saved.isEmpty());
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      Instant end = Instant.now();
      for (Issued session : filled) {
        saved.add(HexFormat.of().formatHex(session.hash().bytes()));
      }
      for (String hex : saved) {
        TokenHash hash = TokenHash.of(TokenHash.SHA256, HexFormat.of().parseHex(hex));
        // Compaction keeps revoked sessions until they expire: nothing acknowledged may be gone.
        Session found = store.find(hash).orElseThrow(() -> new AssertionError("lost create " + hex))
            .session().session();
        // The child's uses, replayed and kept beside mapped slots across kills, only move times
        // forward, to instants the child wrote.
        assertFalse(found.lastUsedAt().isBefore(found.createdAt()), "use before creation " + hex);
        assertFalse(found.lastUsedAt().isAfter(end), "use from the future " + hex);
        assertFalse(found.expiresAt().isBefore(found.createdAt().plus(Duration.ofDays(3650))),
            "expiry moved back " + hex);
      }
      for (String hex : rotated) {
        TokenHash hash = TokenHash.of(TokenHash.SHA256, HexFormat.of().parseHex(hex));
        assertTrue(store.find(hash).orElseThrow().token().isRotated(), "rotation lost " + hex);
      }
      assertFalse(rotated.isEmpty(), "the child refreshed");
      for (String hex : revoked) {
        TokenHash hash = TokenHash.of(TokenHash.SHA256, HexFormat.of().parseHex(hex));
        assertTrue(store.find(hash).orElseThrow().session().isRevoked(), "revoke lost " + hex);
      }
    }
  }

  /**
   * Fills {@code dir} with sessions past one full chunk of slots and compacts: an open maps full
   * chunks of a snapshot's slots, and keeps the uses it replays for them beside the slots, where a
   * short last chunk is copied to the heap by the first create after the open.
   */
  private static List<Issued> fill(Path dir) {
    List<Issued> filled = new ArrayList<>();
    try (FileTokenStore store = FileTokenStore.builder().directory(dir)
        .durability(Durability.NONE).build()) {
      for (int i = 0; i < SlotArena.CHUNK_SLOTS + SlotArena.CHUNK_SLOTS / 4; i++) {
        filled.add(Issued.create(store, StoreChild.FILLED_SUBJECT
            + i % StoreChild.FILLED_SUBJECTS, Duration.ofDays(3650)));
      }
      store.compact();
    }
    return filled;
  }

  @Test
  void open_fromSecondJvmWhileOpen_isRefusedSayingInUseAndWhere() throws Exception {
    Path dir = tmp.resolve("store");
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      Process probe = start(tmp.resolve("probe.err"), "probe", dir.toString());
      String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(probe.waitFor(30, TimeUnit.SECONDS));
      assertEquals(3, probe.exitValue(), output + Files.readString(tmp.resolve("probe.err")));
      assertTrue(output.startsWith("REFUSED"), output);
      assertTrue(output.contains("in use"), output);
      assertTrue(output.contains(dir.toRealPath().resolve("LOCK").toString()), output);
      assertEquals(0, store.liveCount());
    }
  }
}
