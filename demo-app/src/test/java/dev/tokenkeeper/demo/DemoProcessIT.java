package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, run as a user runs it: {@code java -jar tokenkeeper-demo.jar}. A login
 * survives {@code kill -9}; a second instance on the same data directory refuses to start.
 */
class DemoProcessIT {

  private static final Pattern ADDRESS = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)");
  private static final Path JAR = Path.of(System.getProperty("demo.jar",
      "target/tokenkeeper-demo.jar"));

  @TempDir Path dataDir;

  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killAll() {
    started.forEach(Process::destroyForcibly);
  }

  private Process launch(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
    started.add(process);
    return process;
  }

  /** Starts the demo and waits for its one address line. */
  private URI startDemo() throws IOException {
    Process process = launch("--port", "0", "--data-dir", dataDir.toString());
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      Matcher matcher = ADDRESS.matcher(line);
      if (matcher.find()) {
        return URI.create(matcher.group());
      }
    }
    throw new AssertionError("demo exited before printing its address: "
        + new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void loginSurvivesKillDashNine_andASecondInstanceIsRefused() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "build the jar first: " + JAR);
    DemoClient first = new DemoClient(startDemo());
    String token = first.token("alice@example.com", "wonderland");
    assertEquals(200, first.send("GET", "/api/proposals", token, null).statusCode());

    started.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    DemoClient second = new DemoClient(startDemo());
    assertEquals(200, second.send("GET", "/api/proposals", token, null).statusCode());

    Process intruder = launch("--port", "0", "--data-dir", dataDir.toString());
    assertTrue(intruder.waitFor(30, TimeUnit.SECONDS), "second instance should exit");
    assertNotEquals(0, intruder.exitValue());
    String error = new String(intruder.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(error.contains("in use"), error);
    assertEquals(200, second.send("GET", "/api/proposals", token, null).statusCode());
  }

  @Test
  void badOption_exitsNonZeroWithOneLine() throws Exception {
    Process process = launch("--port", "eighty");
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    String error = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(1, error.strip().lines().count(), error);
    assertTrue(error.contains("--port"), error);
  }

  @Test
  void help_printsTheOptions() throws Exception {
    Process process = launch("--help");
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue());
    String usage = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    for (String option : List.of("--port", "--host", "--data-dir", "--help")) {
      assertTrue(usage.contains(option), usage);
    }
  }
}
