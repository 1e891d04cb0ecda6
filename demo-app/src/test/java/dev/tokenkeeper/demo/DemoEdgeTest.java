package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Headers on every JSON answer, the session cap, and what the demo refuses to start with. */
class DemoEdgeTest {

  @TempDir Path dataDir;

  private DemoServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everyJsonAnswer_isNoStoreAndNosniff() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false),
        Clock.systemUTC());
    DemoClient client = new DemoClient(server.uri());
    String token = client.token("alice@example.com", "wonderland");
    for (HttpResponse<String> answer : List.of(
        client.send("GET", "/api/proposals", token, null),
        client.send("POST", "/api/proposals", token, "{\"title\":\"x\"}"),
        client.send("GET", "/api/proposals", null, null),
        client.send("GET", "/api/nope", token, null),
        client.send("GET", "/health", null, null),
        client.send("GET", "/auth/sessions", token, null))) {
      assertEquals("no-store", answer.headers().firstValue("Cache-Control").orElse(""),
          answer.uri().toString());
      assertEquals("nosniff", answer.headers().firstValue("X-Content-Type-Options").orElse(""),
          answer.uri().toString());
    }
  }

  @Test
  void login_pastTheSessionCap_endsTheIdlestSession() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false, List.of(),
        null, false, 2), Clock.systemUTC());
    DemoClient client = new DemoClient(server.uri());
    String oldest = client.token("alice@example.com", "wonderland");
    String middle = client.token("alice@example.com", "wonderland");
    assertEquals(200, client.send("GET", "/api/proposals", middle, null).statusCode());

    String newest = client.token("alice@example.com", "wonderland");

    assertEquals(401, client.send("GET", "/api/proposals", oldest, null).statusCode());
    assertEquals(200, client.send("GET", "/api/proposals", middle, null).statusCode());
    assertEquals(200, client.send("GET", "/api/proposals", newest, null).statusCode());
    assertEquals(2, DemoClient.json(client.send("GET", "/auth/sessions", newest, null))
        .get("sessions").size());
  }

  @ParameterizedTest
  @ValueSource(strings = {".", "tokens", "proposals.json", "device.key"})
  void start_withAPathWritableByOthers_isRefusedNamingPathAndMode(String name) throws Exception {
    DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false), Clock.systemUTC())
        .close();
    Files.writeString(dataDir.resolve("proposals.json"), "[]");
    Path path = dataDir.resolve(name).normalize();
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
        Files.isDirectory(path) ? "rwxrwx---" : "rw-rw-rw-"));

    InsecureDataException refused = assertThrows(InsecureDataException.class,
        () -> DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false),
            Clock.systemUTC()));

    assertTrue(refused.getMessage().startsWith(path.toAbsolutePath() + " is writable by"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("(mode rw"), refused.getMessage());
  }

  @Test
  void start_withAStoreFileWritableByOthers_isRefused() throws Exception {
    DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false), Clock.systemUTC())
        .close();
    try (var files = Files.list(dataDir.resolve(DemoServer.TOKENS_DIR))) {
      Path first = files.filter(Files::isRegularFile).findFirst().orElseThrow();
      Files.setPosixFilePermissions(first, PosixFilePermissions.fromString("rw-rw-r--"));
    }

    assertThrows(InsecureDataException.class, () -> DemoServer.start(
        new DemoOptions(0, "127.0.0.1", dataDir, null, false), Clock.systemUTC()));
  }

  @Test
  void redisPassword_fromTheEnvironment_goesIntoTheUriUnlessItHasOne() {
    assertEquals("redis://:s%20cret@127.0.0.1:6379/0",
        RedisPassword.apply("redis://127.0.0.1:6379/0", "s cret"));
    assertEquals("rediss://u:p@h:1", RedisPassword.apply("rediss://u:p@h:1", "other"));
    assertEquals("redis://h:1", RedisPassword.apply("redis://h:1", null));
    assertEquals("redis-cluster://:s%20c%2Bret@h:1,g:2",
        RedisPassword.apply("redis-cluster://h:1,g:2", "s c+ret"));
    assertEquals("redis-cluster://u:p@h:1,g:2",
        RedisPassword.apply("redis-cluster://u:p@h:1,g:2", "other"));
  }
}
