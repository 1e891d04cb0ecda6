package dev.tokenkeeper.examples.springboot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real HTTP client against the application on a real port, and a place for its store. */
final class Http {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\":\"([^\"]+)\"");

  private Http() {}

  static HttpResponse<String> get(int port, String path, String token) throws Exception {
    return send(request(port, path, token).GET().build());
  }

  static HttpResponse<String> post(int port, String path, String token, String json)
      throws Exception {
    return send(request(port, path, token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build());
  }

  /** Logs alice in; returns her access token. */
  static String login(int port) throws Exception {
    HttpResponse<String> response = post(port, "/login", null,
        "{\"username\":\"alice@example.com\",\"password\":\"wonderland\"}");
    if (response.statusCode() != 200) {
      throw new AssertionError("login answered " + response.statusCode() + ": " + response.body());
    }
    Matcher token = ACCESS_TOKEN.matcher(response.body());
    if (!token.find()) {
      throw new AssertionError("login answered no access_token: " + response.body());
    }
    return token.group(1);
  }

  /** A store directory not yet created, in a fresh temporary directory. */
  static Path temporaryDirectory() {
    try {
      return Files.createTempDirectory("tokenkeeper-example-").resolve("tokens");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static HttpRequest.Builder request(int port, String path, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .header("User-Agent", "example-test");
    return token == null ? builder : builder.header("Authorization", "Bearer " + token);
  }

  private static HttpResponse<String> send(HttpRequest request)
      throws IOException, InterruptedException {
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
