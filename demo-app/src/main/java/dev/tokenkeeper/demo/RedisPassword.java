package dev.tokenkeeper.demo;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Puts a Redis password taken from the environment into a {@code --store} URI, so it need not
 * appear on the command line (where every user of the machine can read it).
 */
final class RedisPassword {

  private RedisPassword() {}

  /**
   * {@code uri} with {@code password} as its user-info password, unless the URI has user-info
   * already or there is no password.
   *
   * @throws IllegalArgumentException if {@code uri} is not a URI; the message never repeats it
   */
  static String apply(String uri, String password) {
    if (password == null || password.isEmpty()) {
      return uri;
    }
    try {
      URI parsed = new URI(uri);
      if (uri.startsWith("redis-cluster://")) {
        // Several hosts: not a server authority java.net.URI can rebuild, so spliced as text.
        String rest = uri.substring("redis-cluster://".length());
        return rest.contains("@") ? uri : "redis-cluster://:"
            + URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20") + "@"
            + rest;
      }
      if (parsed.getUserInfo() != null) {
        return uri;
      }
      return new URI(parsed.getScheme(), ":" + password, parsed.getHost(), parsed.getPort(),
          parsed.getPath(), null, null).toString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--store is not a valid URI: " + e.getReason());
    }
  }
}
