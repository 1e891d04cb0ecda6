package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --tls-keystore}: HTTPS only, HSTS, TLS 1.2 and up, clear refusals at start. */
class DemoTlsTest {

  @TempDir Path dir;

  private DemoServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private DemoOptions tlsOptions(Path keystore) {
    return new DemoOptions(0, "127.0.0.1", dir.resolve("data"), null, false, List.of(),
        keystore, false, SessionCap.DEFAULT_MAX);
  }

  @Test
  void https_servesTheApiWithStrictTransportSecurity() throws Exception {
    TestKeystore keystore = TestKeystore.create(dir);
    server = DemoServer.start(tlsOptions(keystore.file), Clock.systemUTC(),
        Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD), Accounts::verify);
    assertEquals("https", server.uri().getScheme());
    DemoClient client = new DemoClient(server.uri(), keystore.clientBuilder());

    HttpResponse<String> login = client.login("alice@example.com", "wonderland");

    assertEquals(200, login.statusCode());
    assertEquals("max-age=31536000",
        login.headers().firstValue("Strict-Transport-Security").orElse(""));
    assertTrue(login.headers().firstValue("Set-Cookie").orElse("").contains("; Secure"));
    String token = DemoClient.json(login).get("access_token").asText();
    assertEquals(200, client.send("GET", "/api/proposals", token, null).statusCode());
  }

  @Test
  void https_cookieTransport_acceptsItsOwnHttpsOriginOnly() throws Exception {
    TestKeystore keystore = TestKeystore.create(dir);
    server = DemoServer.start(tlsOptions(keystore.file), Clock.systemUTC(),
        Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD), Accounts::verify);
    DemoClient client = new DemoClient(server.uri(), keystore.clientBuilder());
    String origin = server.uri().toString();
    CookieJar jar = new CookieJar();

    // No Sec-Fetch-Site (an older browser): the Origin must be the server's own, https included.
    HttpResponse<String> login = jar.absorb(client.send("POST", "/auth/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"wonderland\","
            + "\"transport\":\"cookie\"}", "Browser (test)", "Origin", origin));
    assertEquals(200, login.statusCode(), login.body());
    assertTrue(login.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith("__")).allMatch(c -> c.contains("; Secure; HttpOnly;")));
    String cookie = jar.header("/api/proposals");
    assertEquals(201, client.send("POST", "/api/proposals", null, "{\"title\":\"TLS\"}",
        "Browser (test)", "Origin", origin, "Cookie", cookie).statusCode());
    assertEquals(403, client.send("POST", "/api/proposals", null, "{\"title\":\"Downgraded\"}",
        "Browser (test)", "Origin", origin.replace("https:", "http:"), "Cookie", cookie)
        .statusCode());
  }

  @Test
  void https_refusesPlainHttpAndOldProtocols() throws Exception {
    TestKeystore keystore = TestKeystore.create(dir);
    server = DemoServer.start(tlsOptions(keystore.file), Clock.systemUTC(),
        Map.of(DemoOptions.TLS_PASSWORD_ENV, TestKeystore.PASSWORD), Accounts::verify);

    assertThrows(Exception.class, () -> new DemoClient(
        java.net.URI.create("http://127.0.0.1:" + server.port())).send("GET", "/health", null,
        null));
    try (SSLSocket socket = (SSLSocket) keystore.trusting.getSocketFactory()
        .createSocket("127.0.0.1", server.port())) {
      socket.setEnabledProtocols(new String[] {"TLSv1.1"});
      assertThrows(IOException.class, socket::startHandshake);
    }
  }

  @Test
  void start_withWrongOrMissingPassword_isRefusedNamingTheVariable() throws Exception {
    TestKeystore keystore = TestKeystore.create(dir);

    String wrong = assertThrows(IllegalArgumentException.class, () -> DemoServer.start(
        tlsOptions(keystore.file), Clock.systemUTC(),
        Map.of(DemoOptions.TLS_PASSWORD_ENV, "not-it"), Accounts::verify)).getMessage();
    String missing = assertThrows(IllegalArgumentException.class, () -> DemoServer.start(
        tlsOptions(keystore.file), Clock.systemUTC(), Map.of(), Accounts::verify)).getMessage();

    assertTrue(wrong.contains(DemoOptions.TLS_PASSWORD_ENV) && !wrong.contains("not-it"), wrong);
    assertTrue(missing.contains(DemoOptions.TLS_PASSWORD_ENV), missing);
  }
}
