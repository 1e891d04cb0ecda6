package dev.tokenkeeper.spring.autoconfigure;

import java.net.URI;
import java.net.URISyntaxException;
import org.springframework.core.env.Environment;

/**
 * The Redis server the Redis store uses: {@code tokenkeeper.store.redis.uri}, else the
 * application's own Redis settings ({@code spring.data.redis.url}, or {@code spring.data.redis.host}
 * with its port, username, password, database and {@code ssl.enabled}). Only settings actually
 * given count: Boot's defaults (localhost) do not make an application a Redis one.
 */
final class RedisSettings {

  private RedisSettings() {}

  /**
   * The server's URI, or {@code null} if no Redis setting is given. The URI may hold a password:
   * never log it.
   *
   * @throws IllegalArgumentException if the host settings do not make a URI (the message does not
   *     repeat them)
   */
  static String uri(Environment environment) {
    String own = environment.getProperty("tokenkeeper.store.redis.uri");
    if (own != null && !own.isBlank()) {
      return own;
    }
    String url = environment.getProperty("spring.data.redis.url");
    if (url != null && !url.isBlank()) {
      return url;
    }
    String host = environment.getProperty("spring.data.redis.host");
    if (host == null || host.isBlank()) {
      return null;
    }
    boolean ssl = environment.getProperty("spring.data.redis.ssl.enabled", Boolean.class, false);
    int port = environment.getProperty("spring.data.redis.port", Integer.class, 6379);
    int database = environment.getProperty("spring.data.redis.database", Integer.class, 0);
    String username = environment.getProperty("spring.data.redis.username");
    String password = environment.getProperty("spring.data.redis.password");
    String userInfo = password == null ? null : (username == null ? "" : username) + ":" + password;
    try {
      // The multi-argument constructor quotes what a password may hold (@, :, /).
      return new URI(ssl ? "rediss" : "redis", userInfo, host, port, "/" + database, null, null)
          .toASCIIString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "spring.data.redis.host and its neighbours do not make a Redis URI: " + e.getReason());
    }
  }
}
