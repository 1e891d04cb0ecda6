package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.servlet.BearerTokenFilter;
import dev.tokenkeeper.store.file.FileTokenStore;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The HTTP group: one embedded Jetty on 127.0.0.1 serving the same trivial servlet at
 * {@code /open/hello} and, behind {@link BearerTokenFilter}, at {@code /secure/hello}. {@code wrk}
 * loads each path in turn with the same request (a valid bearer token on both), several rounds
 * alternating, so drift on a shared machine hits both sides alike. Client and server share the
 * machine's cores.
 */
final class HttpMeasure {

  private static final int ROUNDS = 3;
  private static final int SECONDS = 5;
  private static final int CONNECTIONS = 16;

  private HttpMeasure() {}

  /** The endpoint: a 2-byte text answer. */
  static final class Hello extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain");
      response.getWriter().write("ok");
    }
  }

  record Load(double requestsPerSecond, double p99Millis) {}

  static void run(PrintStream out) throws Exception {
    Path dir = Fixtures.tempDirectory("http");
    Server server = new Server();
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      TokenService tokens = TokenService.builder().store(store).build();
      String token = tokens.issue("user@example.com", Fixtures.LABEL).plaintext();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      ServletContextHandler context = new ServletContextHandler("/");
      context.addServlet(new ServletHolder(new Hello()), "/open/hello");
      context.addServlet(new ServletHolder(new Hello()), "/secure/hello");
      context.addFilter(new FilterHolder(BearerTokenFilter.builder(tokens).build()), "/secure/*",
          EnumSet.of(DispatcherType.REQUEST));
      server.setHandler(context);
      server.start();
      String base = "http://127.0.0.1:" + connector.getLocalPort();

      wrk(base + "/open/hello", token, 3);
      wrk(base + "/secure/hello", token, 3);
      out.println();
      out.printf(Locale.ROOT, "# HTTP: wrk -t1 -c%d -d%ds --latency, %d rounds alternating;"
          + " client and server share the machine's %d cores%n", CONNECTIONS, SECONDS, ROUNDS,
          Runtime.getRuntime().availableProcessors());
      out.println("| round | without filter req/s | p99 ms | with filter req/s | p99 ms"
          + " | with / without |");
      out.println("|---|---|---|---|---|---|");
      double openSum = 0;
      double secureSum = 0;
      for (int round = 1; round <= ROUNDS; round++) {
        Load open = wrk(base + "/open/hello", token, SECONDS);
        Load secure = wrk(base + "/secure/hello", token, SECONDS);
        openSum += open.requestsPerSecond();
        secureSum += secure.requestsPerSecond();
        out.printf(Locale.ROOT, "| %d | %.0f | %.2f | %.0f | %.2f | %.3f |%n", round,
            open.requestsPerSecond(), open.p99Millis(), secure.requestsPerSecond(),
            secure.p99Millis(), secure.requestsPerSecond() / open.requestsPerSecond());
        out.flush();
      }
      out.printf(Locale.ROOT, "| mean | %.0f | | %.0f | | %.3f (filter costs %.1f%%) |%n",
          openSum / ROUNDS, secureSum / ROUNDS, secureSum / openSum,
          100 * (1 - secureSum / openSum));
    } finally {
      server.stop();
      Fixtures.delete(dir);
    }
  }

  private static Load wrk(String url, String token, int seconds)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("wrk", "-t1", "-c" + CONNECTIONS,
        "-d" + seconds + "s", "--latency", "-H", "Authorization: Bearer " + token, url));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("wrk is needed for the HTTP group (apt-get install -y wrk)", e);
    }
    StringBuilder output = new StringBuilder();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        output.append(line).append('\n');
      }
    }
    if (process.waitFor() != 0) {
      throw new IllegalStateException("wrk failed:\n" + output);
    }
    String text = output.toString();
    if (text.contains("Non-2xx")) {
      throw new IllegalStateException("requests were refused:\n" + text);
    }
    Matcher rate = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(text);
    Matcher p99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)").matcher(text);
    if (!rate.find() || !p99.find()) {
      throw new IllegalStateException("unexpected wrk output:\n" + text);
    }
    double scale = switch (p99.group(2)) {
      case "us" -> 0.001;
      case "ms" -> 1;
      default -> 1000;
    };
    return new Load(Double.parseDouble(rate.group(1)), Double.parseDouble(p99.group(1)) * scale);
  }
}
