package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and careless requests against every endpoint, sent as raw bytes so nothing is cleaned
 * up on the way: each gets a 4xx with a JSON body (never a 500, never a stack trace), and the
 * server keeps serving afterwards.
 */
class DemoHostileInputTest {

  @TempDir static Path dataDir;

  static DemoServer server;
  static String token;
  /** Opens connections to the server: plain here, TLS in {@link DemoHostileInputTlsTest}. */
  static SocketFactory sockets = SocketFactory.getDefault();

  @BeforeAll
  static void start() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false),
        Clock.systemUTC());
    sockets = SocketFactory.getDefault();
    token = new DemoClient(server.uri()).token("alice@example.com", "wonderland");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static Stream<Arguments> hostileRequests() {
    String nested = "[".repeat(5_000) + "]".repeat(5_000);
    List<Arguments> cases = new ArrayList<>();
    for (String path : List.of("/auth/login", "/api/proposals", "/api/proposals/1/collaborators")) {
      boolean auth = !path.equals("/auth/login");
      cases.add(json(path, auth, "malformed JSON", "{\"username\":"));
      cases.add(json(path, auth, "trailing garbage", "{} {}"));
      cases.add(json(path, auth, "not an object", "[1,2,3]"));
      cases.add(json(path, auth, "wrong types", "{\"username\":1,\"password\":[],\"title\":{}}"));
      cases.add(json(path, auth, "missing fields", "{}"));
      cases.add(json(path, auth, "nulls", "{\"username\":null,\"password\":null,\"title\":null}"));
      cases.add(json(path, auth, "deeply nested", "{\"title\":" + nested + "}"));
      cases.add(json(path, auth, "duplicate keys",
          "{\"username\":\"a\",\"username\":\"b\",\"title\":\"x\",\"title\":\"y\",\"password\":\"p\"}"));
      cases.add(json(path, auth, "huge number", "{\"title\":1" + "0".repeat(2_000) + "}"));
      cases.add(raw(path + " wrong content type", request("POST", path, auth,
          "Content-Type: text/plain\r\n", "{\"title\":\"x\"}".getBytes(StandardCharsets.UTF_8))));
      cases.add(raw(path + " no content type", request("POST", path, auth, "",
          "{\"title\":\"x\"}".getBytes(StandardCharsets.UTF_8))));
      cases.add(raw(path + " invalid UTF-8", request("POST", path, auth,
          "Content-Type: application/json\r\n",
          new byte[] {'{', '"', 't', 'i', 't', 'l', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28,
              '"', '}'})));
      cases.add(raw(path + " NUL in body", request("POST", path, auth,
          "Content-Type: application/json\r\n",
          "{\"title\":\"a\u0000b\",\"username\":\"a\u0000\",\"password\":\"\u0000\"}"
              .getBytes(StandardCharsets.UTF_8))));
      cases.add(raw(path + " body over 64 KiB", request("POST", path, auth,
          "Content-Type: application/json\r\n",
          ("{\"title\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8))));
      cases.add(raw(path + " chunked body over 64 KiB", chunked(path, auth,
          ("{\"title\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8))));
      cases.add(raw(path + " wrong method", request("PUT", path, auth,
          "Content-Type: application/json\r\n", "{}".getBytes(StandardCharsets.UTF_8))));
    }
    cases.add(raw("unknown route", request("GET", "/nope", false, "", null)));
    cases.add(raw("unknown api route", request("GET", "/api/nope", true, "", null)));
    cases.add(raw("unknown auth route", request("GET", "/auth/nope", true, "", null)));
    cases.add(raw("session delete, bad id", request("DELETE", "/auth/sessions/%00", true, "",
        null)));
    cases.add(raw("sessions wrong method", request("POST", "/auth/sessions", true, "", null)));
    cases.add(raw("health wrong method", request("DELETE", "/health", false, "", null)));
    cases.add(raw("huge header", request("GET", "/api/proposals", true,
        "X-Big: " + "a".repeat(40_000) + "\r\n", null)));
    cases.add(raw("huge Authorization", request("GET", "/api/proposals", false,
        "Authorization: Bearer " + "a".repeat(12_000) + "\r\n", null)));
    cases.add(raw("NUL in header", request("GET", "/api/proposals", true,
        "X-Odd: a\u0000b\r\n", null)));
    cases.add(raw("bad percent-encoding", request("GET", "/api/%zz", true, "", null)));
    cases.add(raw("overlong UTF-8 in path", request("GET", "/api/%C0%AE%C0%AE/", true, "", null)));
    cases.add(raw("path traversal", request("GET", "/api/../../etc/passwd", true, "", null)));
    cases.add(raw("garbage request line", "GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
    cases.add(raw("Latin-1 in header", request("GET", "/api/proposals", false,
        "Authorization: Bearer tk_\u00e9\u00e9\r\n", null)));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileRequests")
  void hostileRequest_gets4xx_andTheServerKeepsServing(String name, byte[] request)
      throws IOException {
    String response = exchange(request);
    assertFalse(response.isEmpty(), name + ": the connection closed without an answer");
    int status = Integer.parseInt(response.substring(9, 12));
    assertTrue(status >= 400 && status < 500, name + " -> " + response);
    String body = response.substring(response.indexOf("\r\n\r\n") + 4);
    assertTrue(body.startsWith("{\"error\":"), name + " -> " + response);
    assertFalse(response.contains("Exception"), name + " -> " + response);
    assertFalse(response.contains("at org."), name + " -> " + response);
  }

  @Test
  void afterEveryHostileRequest_healthAndAuthStillWork() throws IOException {
    hostileRequests().forEach(args -> {
      try {
        exchange((byte[]) args.get()[1]);
      } catch (IOException e) {
        // A connection the server closed early is an acceptable answer to garbage.
      }
    });
    assertTrue(exchange(request("GET", "/health", false, "", null)).startsWith("HTTP/1.1 200"));
    assertTrue(exchange(request("GET", "/api/proposals", true, "", null))
        .startsWith("HTTP/1.1 200"));
  }

  private static Arguments json(String path, boolean auth, String name, String body) {
    return raw(path + " " + name, request("POST", path, auth, "Content-Type: application/json\r\n",
        body.getBytes(StandardCharsets.UTF_8)));
  }

  private static Arguments raw(String name, byte[] request) {
    return Arguments.of(name, request);
  }

  private static byte[] request(String method, String path, boolean auth, String headers,
      byte[] body) {
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1\r\nConnection: close\r\n")
        .append(headers);
    if (auth) {
      head.append("Authorization: Bearer ").append(token).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      out.writeBytes(body);
    }
    return out.toByteArray();
  }

  private static byte[] chunked(String path, boolean auth, byte[] body) {
    byte[] head = request("POST", path, auth,
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", null);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head);
    for (int i = 0; i < body.length; i += 8192) {
      int n = Math.min(8192, body.length - i);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, i, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** Sends raw bytes and reads the whole response until the server closes the connection. */
  private static String exchange(byte[] request) throws IOException {
    try (Socket socket = sockets.createSocket("127.0.0.1", server.port())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The server may answer and close before reading a large body; read what it said.
      }
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
