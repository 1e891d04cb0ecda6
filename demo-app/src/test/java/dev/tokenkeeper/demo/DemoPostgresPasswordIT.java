package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.store.jdbc.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged demo on a PostgreSQL role that must give a password, handed to it the way the
 * usage says: in {@value JdbcStores#PASSWORD_ENV} (or, second best, in the {@code --store} URI).
 * With it the demo serves logins; with a wrong one or none it exits non-zero with one clear line,
 * and neither the password given nor the right one ever appears in what it prints.
 */
class DemoPostgresPasswordIT {

  private static final String ROLE = "tokenkeeper_app";

  private static PostgresServer postgres;
  private static String password;
  private static String store;

  @TempDir Path temp;

  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void startDatabase() throws Exception {
    postgres = PostgresServer.start();
    Random random = TestSeed.random("DemoPostgresPasswordIT");
    password = "pw-" + HexFormat.of().formatHex(bytes(random, 12));
    store = postgres.createPasswordRole(ROLE, password);
    assertFalse(store.contains(password));
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  @AfterEach
  void stopDemos() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void passwordInTheEnvironmentOnly_loginWorks() throws Exception {
    Path stderr = temp.resolve("stderr");
    Process demo = launch(env -> env.put(JdbcStores.PASSWORD_ENV, password), stderr);
    DemoClient client = new DemoClient(DemoJar.address(demo, stderr));

    String token = client.token("alice@example.com", "wonderland");
    assertEquals(200, client.send("GET", "/api/proposals", token, null).statusCode());

    demo.destroy();
    assertTrue(demo.waitFor(30, TimeUnit.SECONDS), "demo should stop on SIGTERM");
    String printed = Files.readString(stderr, StandardCharsets.UTF_8);
    assertFalse(printed.contains(password), "the password reached standard error");
  }

  @Test
  void passwordInTheUriOnly_loginWorks() throws Exception {
    Path stderr = temp.resolve("stderr");
    String withPassword = store.replace(ROLE + "@", ROLE + ":" + password + "@");
    Process demo = DemoJar.launch(List.of(), env -> env.remove(JdbcStores.PASSWORD_ENV), stderr,
        "--port", "0", "--data-dir", temp.resolve("data").toString(), "--store", withPassword);
    started.add(demo);
    DemoClient client = new DemoClient(DemoJar.address(demo, stderr));

    String token = client.token("alice@example.com", "wonderland");
    assertEquals(200, client.send("GET", "/api/proposals", token, null).statusCode());
  }

  @Test
  void wrongPassword_exitsNonZero_sayingSo_neverPrintingAPassword() throws Exception {
    String wrong = "not-" + password;
    String printed = exitMessage(env -> env.put(JdbcStores.PASSWORD_ENV, wrong));
    assertTrue(printed.contains("password") && printed.contains(JdbcStores.PASSWORD_ENV),
        printed);
    assertFalse(printed.contains(wrong), "the wrong password was printed: " + printed);
    assertFalse(printed.contains(password), "the password was printed: " + printed);
  }

  @Test
  void noPassword_exitsNonZero_namingTheVariable() throws Exception {
    String printed = exitMessage(env -> env.remove(JdbcStores.PASSWORD_ENV));
    assertTrue(printed.contains(JdbcStores.PASSWORD_ENV), printed);
    assertFalse(printed.contains(password), "the password was printed: " + printed);
  }

  private Process launch(Consumer<Map<String, String>> environment, Path stderr)
      throws IOException {
    Process process = DemoJar.launch(List.of(), environment, stderr, "--port", "0",
        "--data-dir", temp.resolve("data").toString(), "--store", store);
    started.add(process);
    return process;
  }

  /**
   * Starts the demo with {@code environment}, expects it to exit non-zero within the timeouts of
   * a refused login, and returns all it printed; standard error must be one line.
   */
  private String exitMessage(Consumer<Map<String, String>> environment) throws Exception {
    Path stderr = temp.resolve("stderr");
    Process demo = launch(environment, stderr);
    String stdout = readAll(demo.getInputStream());
    assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo should exit");
    assertNotEquals(0, demo.exitValue());
    String errors = Files.readString(stderr, StandardCharsets.UTF_8);
    assertEquals(1, errors.strip().lines().count(), errors);
    return stdout + errors;
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }
}
