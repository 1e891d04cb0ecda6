package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.TokenkeeperException;
import java.net.BindException;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar tokenkeeper-demo.jar [options]} (see {@link DemoOptions#USAGE}): starts the
 * demo backend and prints one line with its address once it accepts connections. SIGTERM (or
 * Ctrl-C) stops it gracefully. Bad options (or plain HTTP on a non-loopback address) exit with
 * status 2, a data directory in use or writable by others with status 1, each with one line on
 * standard error.
 */
public final class DemoMain {

  private DemoMain() {}

  public static void main(String[] args) throws InterruptedException {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("tokenkeeper-demo: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(DemoOptions.USAGE);
      return;
    }
    DemoServer server;
    try {
      server = DemoServer.start(options, Clock.systemUTC());
    } catch (TokenkeeperException | InsecureDataException e) {
      System.err.println("tokenkeeper-demo: " + e.getMessage());
      System.exit(1);
      return;
    } catch (IllegalArgumentException e) {
      System.err.println("tokenkeeper-demo: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      String why = e instanceof BindException || e.getCause() instanceof BindException
          ? "cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage()
          : e.toString();
      System.err.println("tokenkeeper-demo: " + why);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("tokenkeeper-demo: error while stopping: " + e);
      } finally {
        stopped.countDown();
      }
    }, "tokenkeeper-demo-shutdown"));
    System.out.println("Tokenkeeper demo listening on " + server.uri()
        + " (data in " + options.dataDir().toAbsolutePath() + ")");
    System.out.flush();
    stopped.await();
  }
}
