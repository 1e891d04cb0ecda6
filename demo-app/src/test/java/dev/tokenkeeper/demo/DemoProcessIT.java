package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.store.redis.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, run as a user runs it: {@code java -jar tokenkeeper-demo.jar}. A login
 * survives {@code kill -9}; a second instance on the same data directory refuses to start.
 */
class DemoProcessIT {

  @TempDir Path dataDir;
  @TempDir Path logs;

  private final List<Process> started = new ArrayList<>();
  private final List<Path> errorFiles = new ArrayList<>();

  @AfterEach
  void killAll() {
    started.forEach(Process::destroyForcibly);
  }

  private Process launch(String... args) throws IOException {
    Path errors = logs.resolve("stderr-" + started.size());
    Process process = DemoJar.launch(List.of(), errors, args);
    started.add(process);
    errorFiles.add(errors);
    return process;
  }

  /** What {@code process} wrote to standard error so far. */
  private String stderr(Process process) throws IOException {
    return Files.readString(errorFiles.get(started.indexOf(process)), StandardCharsets.UTF_8);
  }

  /** Starts the demo and waits for its one address line. */
  private URI startDemo() throws IOException, InterruptedException {
    Process process = launch("--port", "0", "--data-dir", dataDir.toString());
    return DemoJar.address(process, errorFiles.get(started.indexOf(process)));
  }

  @Test
  void loginSurvivesKillDashNine_andASecondInstanceIsRefused() throws Exception {
    assertTrue(Files.isRegularFile(DemoJar.PATH), "build the jar first: " + DemoJar.PATH);
    DemoClient first = new DemoClient(startDemo());
    String token = first.token("alice@example.com", "wonderland");
    assertEquals(200, first.send("GET", "/api/proposals", token, null).statusCode());

    started.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    DemoClient second = new DemoClient(startDemo());
    assertEquals(200, second.send("GET", "/api/proposals", token, null).statusCode());

    Process intruder = launch("--port", "0", "--data-dir", dataDir.toString());
    assertTrue(intruder.waitFor(30, TimeUnit.SECONDS), "second instance should exit");
    assertNotEquals(0, intruder.exitValue());
    String error = stderr(intruder);
    assertTrue(error.contains("in use"), error);
    assertEquals(200, second.send("GET", "/api/proposals", token, null).statusCode());
  }

  @Test
  void sigterm_stopsGracefully_andTheLoginSurvives() throws Exception {
    DemoClient first = new DemoClient(startDemo());
    String token = first.token("alice@example.com", "wonderland");
    Process demo = started.get(0);
    demo.destroy(); // SIGTERM: stop accepting, finish requests in flight, close the store
    assertTrue(demo.waitFor(20, TimeUnit.SECONDS), "demo should stop on SIGTERM");
    String errors = stderr(demo);
    assertTrue(!errors.contains("Exception"), errors);
    assertTrue(!errors.contains(token), "a token reached the log");
    DemoClient second = new DemoClient(startDemo());
    assertEquals(200, second.send("GET", "/api/proposals", token, null).statusCode());
  }

  @Test
  void badOption_exitsNonZeroWithOneLine() throws Exception {
    Process process = launch("--port", "eighty");
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    String error = stderr(process);
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

  /** A Redis that may evict keys would silently break logout everywhere: the demo refuses it. */
  @Test
  void redisWithAnEvictingPolicy_exitsOneNamingTheSetting() throws Exception {
    try (RedisServer redis = RedisServer.start(Files.createDirectories(dataDir.resolve("redis")),
        true, "--maxmemory-policy", "allkeys-lru")) {
      Process process = launch("--port", "0", "--data-dir", dataDir.toString(),
          "--store", redis.uri());
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the demo should exit");
      assertEquals(1, process.exitValue());
      String error = stderr(process);
      assertTrue(error.contains("maxmemory-policy allkeys-lru"), error);
      assertTrue(error.contains("noeviction"), error);
      assertTrue(!error.contains("Exception"), error);
    }
  }
}
