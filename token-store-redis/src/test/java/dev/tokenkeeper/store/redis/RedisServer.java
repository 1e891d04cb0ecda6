package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * A real {@code redis-server} from {@code PATH}, on a free loopback port, with its data in a
 * directory the test owns. {@link #start} skips the calling test (a JUnit assumption, one clear
 * line) when no {@code redis-server} is installed, except under {@code CI=true}, where it fails.
 *
 * <p>Published in this module's test-jar so other modules' tests (the demo's) start Redis alike.
 */
public final class RedisServer implements AutoCloseable {

  static final String SKIP_MESSAGE =
      "redis-server not on PATH: Redis tests skipped (install it: .ci/install-redis)";
  private static final boolean INSTALLED = findOnPath("redis-server");
  private static volatile boolean skipReported;

  private final Path dir;
  private final boolean appendOnly;
  private final int port;
  private final List<String> settings;
  private Process process;

  private RedisServer(Path dir, boolean appendOnly, int port, List<String> settings) {
    this.dir = dir;
    this.appendOnly = appendOnly;
    this.port = port;
    this.settings = settings;
  }

  /**
   * Starts a server in {@code dir}; skips the test if none is installed. {@code settings} are
   * more command-line options ({@code "--maxmemory-policy", "allkeys-lru"}), after and so
   * overriding the defaults.
   */
  public static RedisServer start(Path dir, boolean appendOnly, String... settings)
      throws IOException {
    if (!INSTALLED && !skipReported) {
      skipReported = true;
      System.err.println(SKIP_MESSAGE);
    }
    if (!INSTALLED && "true".equals(System.getenv("CI"))) {
      // CI must run these tests; a skip there would hide that Redis support went untested.
      throw new IllegalStateException("CI=true but " + SKIP_MESSAGE);
    }
    assumeTrue(INSTALLED, SKIP_MESSAGE);
    RedisServer server = new RedisServer(dir, appendOnly, freePort(), List.of(settings));
    server.startProcess();
    return server;
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Milliseconds since the epoch by the server's own clock ({@code TIME}). */
  public long millis() {
    try (Jedis jedis = new Jedis("127.0.0.1", port)) {
      List<String> time = jedis.time();
      return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }
  }

  /** Stops the server gracefully (it writes its append-only file) and starts it again. */
  void restart() throws IOException {
    stop();
    startProcess();
  }

  /** Ends the server with SIGKILL, as a crash would: nothing is flushed on the way out. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Starts the server again on the same port and directory after {@link #kill} or stop. */
  public void startAgain() throws IOException {
    startProcess();
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  @Override
  public void close() {
    stop();
  }

  private void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
        .inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " failed");
    }
  }

  private void startProcess() throws IOException {
    // appendfsync always: with everysec, Redis may postpone the write of an acknowledged command
    // while a slow fsync is in flight, so a SIGKILL can lose it; durability tests need "always".
    List<String> command = new ArrayList<>(List.of("redis-server",
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
        "--save", "", "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always",
        "--daemonize", "no"));
    command.addAll(settings);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
        .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!answersPing()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IOException("redis-server did not start on port " + port + ": "
            + Files.readString(dir.resolve("redis.log")));
      }
      try {
        Thread.sleep(10); // polling a real process's startup: there is no clock to inject
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return "+PONG\r\n".equals(new String(reply, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, name))) {
        return true;
      }
    }
    return false;
  }
}
