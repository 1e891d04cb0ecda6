package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.MutableClock;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No connection reads another's bytes. Requests refused as malformed (a NUL in a header), each
 * sent in two writes so that its rest arrives after the refusal, each on a new TLS connection,
 * from two threads: every one must get its own 400. With Jetty's pooled request buffers, the rest
 * of a refused request could land in a buffer already handed back to the pool, and the next
 * connection to take it parsed those bytes first and closed with no answer: about one request in
 * a thousand on this machine, in runs of this size.
 */
class DemoConnectionIsolationTlsTest {

  private static final int REQUESTS_PER_THREAD = 1_000;
  private static final byte[] REFUSED_START = ("GET /api/proposals HTTP/1.1\r\n"
      + "Host: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer tk_abc\u0000")
      .getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] REFUSED_REST = "def\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  @TempDir static Path dir;
  private static DemoServer server;
  private static SocketFactory sockets;

  @BeforeAll
  static void start() throws Exception {
    TestKeystore keystore = TestKeystore.create(dir);
    server = keystore.startDemo(dir, MutableClock.startingAt2026(), List.of("127.0.0.1/32"));
    sockets = keystore.trusting.getSocketFactory();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void everyRefusedRequestIsAnsweredOnItsOwnConnection() throws Exception {
    long started = System.nanoTime();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<String>>> runs = new ArrayList<>();
      for (int thread = 0; thread < 2; thread++) {
        runs.add(threads.submit(() -> {
          List<String> wrong = new ArrayList<>();
          for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
            try {
              String answer = refusedRequest();
              if (!answer.startsWith("HTTP/1.1 400 ")) {
                wrong.add("request " + i + ": " + (answer.isEmpty() ? "closed with no answer"
                    : answer.substring(0, Math.min(answer.length(), 60))));
              }
            } catch (IOException e) {
              // How it showed when the other connection's bytes arrived before the handshake
              // had finished: the server closed it, and the client's handshake failed.
              wrong.add("request " + i + ": " + e);
            }
          }
          return wrong;
        }));
      }
      List<String> wrong = new ArrayList<>();
      for (Future<List<String>> run : runs) {
        wrong.addAll(run.get());
      }
      System.out.printf("connection isolation: %d requests in %d ms%n", 2 * REQUESTS_PER_THREAD,
          (System.nanoTime() - started) / 1_000_000);
      assertEquals(List.of(), wrong, wrong.size() + " of " + 2 * REQUESTS_PER_THREAD);
    } finally {
      threads.shutdownNow();
    }
  }

  private static String refusedRequest() throws IOException {
    try (Socket socket = sockets.createSocket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(REFUSED_START);
      out.flush();
      try {
        out.write(REFUSED_REST);
        out.flush();
      } catch (IOException refusedFirst) {
        // The server may have answered and closed already; the answer is still there to read.
      }
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
