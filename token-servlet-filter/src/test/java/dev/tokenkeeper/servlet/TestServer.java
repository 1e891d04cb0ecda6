package dev.tokenkeeper.servlet;

import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Jetty 12 (ee10) on a free loopback port, and a real HTTP/1.1 client to call it. The
 * filter is mapped to {@code /*} in front of an {@link EchoServlet}.
 */
final class TestServer implements AutoCloseable {

  /** One client for all tests: it is thread-safe and keeps its connections. */
  static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private final Server server;
  private final URI base;

  private TestServer(Server server, URI base) {
    this.server = server;
    this.base = base;
  }

  /** A server with {@code filter} in front of an {@link EchoServlet}. */
  static TestServer start(BearerTokenFilter filter) throws Exception {
    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(EchoServlet.class, "/*");
    return start(context);
  }

  /** A server running {@code handler} (for instance a {@code WebAppContext}). */
  static TestServer start(Handler handler) throws Exception {
    Server server = new Server(new QueuedThreadPool(16, 2));
    ServerConnector connector = new ServerConnector(server, 1, 1);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
    return new TestServer(server, URI.create("http://127.0.0.1:" + connector.getLocalPort()));
  }

  /** A request builder for {@code pathAndQuery} on this server. */
  HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(10));
  }

  /** GET {@code pathAndQuery} with {@code headers} given as name, value, name, value... */
  HttpResponse<String> get(String pathAndQuery, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = request(pathAndQuery).GET();
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return send(request);
  }

  /** GET {@code pathAndQuery} with {@code Authorization: Bearer token}. */
  HttpResponse<String> getWithToken(String pathAndQuery, String token)
      throws IOException, InterruptedException {
    return get(pathAndQuery, "Authorization", "Bearer " + token);
  }

  static HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("Jetty did not stop", e);
    }
  }
}
