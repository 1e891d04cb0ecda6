package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that hold the server's resources rather than send bad bytes: bodies trickled a byte at
 * a time, a body that declares a gigabyte, one cut short. The server keeps answering others, and
 * refuses an oversized body from its declared length without reading (or buffering) it.
 */
class DemoSlowInputTest {

  @TempDir static Path dataDir;

  static DemoServer server;
  static String token;
  /** Opens connections to the server: plain here, TLS in {@link DemoSlowInputTlsTest}. */
  static SocketFactory sockets = SocketFactory.getDefault();
  /** A well-behaved client of the same listener. */
  static DemoClient client;

  @BeforeAll
  static void start() throws Exception {
    server = DemoServer.start(new DemoOptions(0, "127.0.0.1", dataDir, null, false),
        Clock.systemUTC());
    sockets = SocketFactory.getDefault();
    client = new DemoClient(server.uri());
    token = client.token("alice@example.com", "wonderland");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static Socket open() throws IOException {
    Socket socket = sockets.createSocket("127.0.0.1", server.port());
    socket.setSoTimeout(15_000);
    return socket;
  }

  private static byte[] head(String path, String extraHeaders) {
    return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nAuthorization: Bearer " + token + "\r\n"
        + extraHeaders + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
  }

  private static int status(InputStream in) throws IOException {
    byte[] line = new byte[12];
    int n = in.readNBytes(line, 0, 12);
    assertEquals(12, n, "a status line");
    return Integer.parseInt(new String(line, 9, 3, StandardCharsets.ISO_8859_1));
  }

  @Test
  void slowBodies_whileTheyTrickle_otherClientsAreServed() throws IOException {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        Socket socket = open();
        OutputStream out = socket.getOutputStream();
        out.write(head("/api/proposals", "Content-Length: 1000\r\n"));
        out.write('{');
        out.flush();
        slow.add(socket);
      }
      for (int i = 0; i < 5; i++) {
        for (Socket socket : slow) {
          try {
            socket.getOutputStream().write(' ');
            socket.getOutputStream().flush();
          } catch (IOException closedByServer) {
            // Dropping a client that stalls is a fair defence too.
          }
        }
        assertEquals(200, client.send("GET", "/health", null, null).statusCode());
        assertEquals(200, client.send("GET", "/api/proposals", token, null).statusCode());
      }
    } finally {
      for (Socket socket : slow) {
        socket.close();
      }
    }
  }

  @Test
  void bodyDeclaringAGigabyte_refusedWith413BeforeItIsSent() throws IOException {
    for (String path : List.of("/api/proposals", "/auth/login")) {
      try (Socket socket = open()) {
        OutputStream out = socket.getOutputStream();
        out.write(head(path, "Content-Length: 1073741824\r\n"));
        out.write(new byte[8192]);
        out.flush();
        // Nothing more is sent: an answer now means the body was judged by its declared size.
        assertEquals(413, status(socket.getInputStream()), path);
      }
    }
  }

  @Test
  void bodyCutShort_getsA4xx_andTheServerStaysHealthy() throws IOException {
    try (Socket socket = open()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("/api/proposals", "Content-Length: 100\r\n"));
      out.write("{\"title\":".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      socket.shutdownOutput();
      byte[] answer = socket.getInputStream().readAllBytes();
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      // An empty answer (a silent close) would leave the client guessing: a 4xx must come back.
      assertTrue(text.matches("(?s)HTTP/1\\.1 4\\d\\d .*"), "answer: [" + text + "]");
    }
    assertEquals(200, client.send("GET", "/health", null, null).statusCode());
  }
}
