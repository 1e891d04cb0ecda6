package dev.tokenkeeper.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A real HTTP/1.1 client for the demo's endpoints, as a test would use curl. */
final class DemoClient {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpClient http;
  private final URI base;

  DemoClient(URI base) {
    this(base, HttpClient.newBuilder());
  }

  /** A client for {@code base} built from {@code builder} (an HTTPS one trusts a test key). */
  DemoClient(URI base, HttpClient.Builder builder) {
    this.base = base;
    this.http = builder.version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  HttpResponse<String> send(String method, String path, String token, String json) {
    return send(method, path, token, json, "test-client");
  }

  HttpResponse<String> send(String method, String path, String token, String json,
      String userAgent, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(20))
        .header("User-Agent", userAgent)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> login(String username, String password) {
    return send("POST", "/auth/login", null,
        "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}");
  }

  /** Logs in and returns the access token, failing the test if login does not succeed. */
  String token(String username, String password) {
    HttpResponse<String> response = login(username, password);
    if (response.statusCode() != 200) {
      throw new AssertionError("login failed: " + response.statusCode() + " " + response.body());
    }
    return json(response).get("access_token").asText();
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }
}
