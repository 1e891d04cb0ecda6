package dev.tokenkeeper.spring.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real HTTP client against an application on a real loopback port. */
final class Http {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final int port;

  Http(int port) {
    this.port = port;
  }

  HttpResponse<String> get(String path, String token) throws Exception {
    return CLIENT.send(request(path, token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A GET from {@code client}, as a reverse proxy on loopback would forward it. */
  HttpResponse<String> getFrom(String client, String path, String token) throws Exception {
    return CLIENT.send(request(path, token).header("X-Forwarded-For", client).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A GET sent by another client program: {@code userAgent} instead of this client's. */
  HttpResponse<String> get(String path, String token, String userAgent) throws Exception {
    return CLIENT.send(request(path, token).setHeader("User-Agent", userAgent).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String token, String json) throws Exception {
    return CLIENT.send(request(path, token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(String method, String path, String token, String contentType,
      String body) throws Exception {
    return CLIENT.send(request(path, token)
        .header("Content-Type", contentType)
        .method(method, HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Logs {@code user} in through the test application's {@code /login} (password "secret"),
   * expecting 200 with a pair.
   */
  HttpResponse<String> login(String user) throws Exception {
    HttpResponse<String> response =
        post("/login", null, "{\"username\":\"" + user + "\",\"password\":\"secret\"}");
    if (response.statusCode() != 200) {
      throw new AssertionError("login of " + user + ": " + response.statusCode() + " "
          + response.body());
    }
    return response;
  }

  HttpResponse<String> delete(String path, String token) throws Exception {
    return CLIENT.send(request(path, token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The string field {@code name} of a flat JSON answer. */
  static String field(HttpResponse<String> response, String name) {
    Matcher value = Pattern.compile("\"" + Pattern.quote(name) + "\":\"([^\"]*)\"")
        .matcher(response.body());
    if (!value.find()) {
      throw new AssertionError("no " + name + " in " + response.statusCode() + " "
          + response.body());
    }
    return value.group(1);
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(15))
            .header("User-Agent", "autoconfigure-test");
    return token == null ? builder : builder.header("Authorization", "Bearer " + token);
  }
}
