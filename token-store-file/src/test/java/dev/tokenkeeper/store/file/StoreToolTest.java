package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline tool, run as an operator runs it, against stores damaged on purpose. */
class StoreToolTest {

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(T0.plusSeconds(60));
  private Path dir;
  private Path log;
  private final List<Issued> records = new ArrayList<>();
  private String out;
  private String err;

  /** Three live sessions, one revoked, one expired by the clock. */
  @BeforeEach
  void writeStore() {
    dir = tmp.resolve("store");
    log = dir.resolve("log-0000000001");
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      for (int i = 0; i < 5; i++) {
        records.add(Issued.create(store, "user" + i,
            i == 4 ? Duration.ofSeconds(30) : Duration.ofDays(1)));
      }
      records.get(3).revoke(store, T0.plusSeconds(5));
    }
  }

  private int run(String... args) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int status = StoreTool.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8), clock);
    out = stdout.toString(StandardCharsets.UTF_8);
    err = stderr.toString(StandardCharsets.UTF_8);
    return status;
  }

  /** Offsets where each record of the log starts (marks left out), and its end. */
  private List<Integer> frames() throws IOException {
    byte[] bytes = Files.readAllBytes(log);
    ByteBuffer view = ByteBuffer.wrap(bytes);
    List<Integer> starts = new ArrayList<>();
    for (int pos = Frames.HEADER; pos < bytes.length; pos += Frames.HEADER + view.getInt(pos)) {
      if (bytes[pos + Frames.HEADER] != 11) {
        starts.add(pos);
      }
    }
    starts.add(bytes.length);
    return starts;
  }

  private void flipByte(int offset) throws IOException {
    byte[] bytes = Files.readAllBytes(log);
    bytes[offset] ^= 0x5a;
    Files.write(log, bytes);
  }

  @Test
  void check_cleanStore_exitsZero() {
    assertEquals(0, run("check", dir.toString()), err);
    assertTrue(out.contains("ok: 6 records read"), out);
  }

  /** The tool run from a thread already interrupted, as from a cancelled task. */
  @Test
  void check_fromAnInterruptedThread_exitsZeroAndKeepsTheInterrupt() {
    Thread.currentThread().interrupt();
    int status;
    try {
      status = run("check", dir.toString());
    } finally {
      assertTrue(Thread.interrupted(), "the tool cleared its caller's interrupt");
    }
    assertEquals(0, status, err);
    assertTrue(out.contains("ok: 6 records read"), out);
  }

  @Test
  void check_tornTail_exitsOneNamingFileAndOffset_andChangesNothing() throws IOException {
    int end = (int) Files.size(log);
    Files.write(log, Arrays.copyOf(Files.readAllBytes(log), end + 300));
    byte[] before = Files.readAllBytes(log);
    assertEquals(1, run("check", dir.toString()), out + err);
    assertTrue(out.contains("torn tail: " + log.toRealPath() + " at offset " + end), out);
    assertArrayEquals(before, Files.readAllBytes(log));
  }

  @Test
  void check_damageBeforeGoodRecords_exitsTwoNamingFileAndOffset() throws IOException {
    int second = frames().get(1);
    flipByte(second + 20);
    assertEquals(2, run("check", dir.toString()), out + err);
    assertTrue(out.contains("damaged: " + log.toRealPath() + " at offset " + second), out);
    assertTrue(out.contains("StoreTool repair"), out);
  }

  @Test
  void stats_countsLiveExpiredAndRevoked() {
    assertEquals(0, run("stats", dir.toString()), err);
    assertTrue(out.contains("live 3\n"), out);
    assertTrue(out.contains("expired 1\n"), out);
    assertTrue(out.contains("revoked 1\n"), out);
    assertTrue(out.contains("file log-0000000001 "), out);
  }

  @Test
  void compact_forgetsExpired_keepsLiveAndRevokedSessions() throws IOException {
    assertEquals(0, run("compact", dir.toString()), err);
    assertTrue(out.contains("compacted: 3 live sessions kept"), out);
    assertEquals(0, run("stats", dir.toString()), err);
    assertTrue(out.contains("live 3\nexpired 0\nrevoked 1\n"), out);
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      for (Issued issued : records.subList(0, 3)) {
        assertEquals(issued.session(), issued.in(store).orElseThrow());
      }
      assertTrue(records.get(3).isRevokedIn(store), "a revoke stays known until expiry");
      assertTrue(records.get(4).in(store).isEmpty());
    }
  }

  @Test
  void compact_damagedStore_refusesAndSaysToRepair() throws IOException {
    flipByte(frames().get(1) + 20);
    byte[] before = Files.readAllBytes(log);
    assertEquals(2, run("compact", dir.toString()), out + err);
    assertTrue(err.contains("repair"), err);
    assertArrayEquals(before, Files.readAllBytes(log));
  }

  @Test
  void repair_damage_movesTheFileAsideKeepsWhatCameBefore_andListsWhatItDropped()
      throws IOException {
    List<Integer> frames = frames();
    int third = frames.get(2);
    flipByte(third + 20);
    assertEquals(0, run("repair", dir.toString()), out + err);
    assertTrue(out.contains("damaged at offset " + third), out);
    // The frame hit is gone; the three after it still pass their checksum and are listed.
    for (Issued dropped : records.subList(3, 5)) {
      assertTrue(out.contains("dropped create of session " + dropped.session().id()), out);
    }
    assertTrue(out.contains("dropped revoke of session " + records.get(3).session().id()), out);
    assertFalse(out.contains(records.get(2).session().id().toString()),
        "the damaged frame is no record");
    assertTrue(Files.exists(dir.resolve("log-0000000001.damaged")));
    assertEquals(0, run("check", dir.toString()), out);
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      assertEquals(2, store.liveCount());
      assertTrue(store.find(records.get(2).hash()).isEmpty());
    }
  }

  @Test
  void repair_tornTail_cutsItOff() throws IOException {
    int end = (int) Files.size(log);
    Files.write(log, Arrays.copyOf(Files.readAllBytes(log), end + 5));
    Path real = log.toRealPath();
    assertEquals(0, run("repair", dir.toString()), out + err);
    assertTrue(out.contains("cutting off the torn tail of " + real + ": bytes " + end
        + ".." + (end + 5)), out);
    assertFalse(Files.exists(log), "the log is replaced, never appended to");
    assertEquals(0, run("check", dir.toString()));
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      assertEquals(3, store.liveCount());
    }
  }

  @Test
  void anyCommand_storeOpenInThisJvm_exitsThreeAndChangesNothing() throws IOException {
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      for (String command : List.of("check", "stats", "compact", "repair")) {
        assertEquals(3, run(command, dir.toString()), command + ": " + out + err);
        assertTrue(err.contains("in use"), err);
      }
      assertEquals(3, store.liveCount(), "the running store is untouched");
    }
  }

  @Test
  void check_storeOpenInAnotherProcess_exitsThree() throws Exception {
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        StoreChild.class.getName(), "work", dir.toString(), "1", "NONE", "1000000000");
    Process child = new ProcessBuilder(command).redirectError(tmp.resolve("child.err").toFile())
        .start();
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertTrue(lines.readLine().startsWith("S "), "the child writes");
      assertEquals(3, run("check", dir.toString()), out + err);
      assertTrue(err.contains("another process"), err);
    } finally {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A store an earlier release named in Arabic-Indic digits: check says so rather than "no token
   * store", leaves it as it is; compact, which opens it, renames it and keeps what it must.
   */
  @Test
  void storeNamedInArabicIndicDigits_checkSaysItIsRenamedOnOpen_compactRenamesIt()
      throws IOException {
    String arabic = String.format(Locale.forLanguageTag("ar-SA"), "log-%010d", 1);
    Files.move(log, dir.resolve(arabic));

    assertEquals(4, run("check", dir.toString()));
    assertTrue(err.contains("(" + arabic + ")") && err.contains("next open")
        && err.contains("(log-0000000001)"), err);
    assertTrue(Files.exists(dir.resolve(arabic)), "check changes nothing");

    assertEquals(0, run("compact", dir.toString()), out + err);
    assertEquals(0, run("stats", dir.toString()), out + err);
    assertTrue(out.contains("live 3\nexpired 0\nrevoked 1\n"), out);
  }

  @Test
  void run_badArgumentsOrNoStore_exitUsageOrFailed() throws IOException {
    assertEquals(64, run());
    assertEquals(64, run("fix", dir.toString()));
    assertEquals(64, run("check"));
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertEquals(4, run("compact", empty.toString()));
    assertTrue(err.contains("no token store"), err);
    assertEquals(4, run("check", tmp.resolve("missing").toString()));
    assertFalse(Files.exists(tmp.resolve("missing")), "never creates a directory");
  }
}
