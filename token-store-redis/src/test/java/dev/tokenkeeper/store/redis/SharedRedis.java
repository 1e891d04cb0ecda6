package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.SessionId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.RedisClient;

/**
 * One {@link RedisServer} (append-only unless built with {@code false}) for a whole test class,
 * with a raw client for looking at keys: started before the class's first test (skipping or
 * failing as {@link RedisServer#start} does) and stopped, its directory deleted, after its last.
 * Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final SharedRedis redis = new SharedRedis();
 * }</pre>
 *
 * <p>Tests sharing it keep apart by key prefix.
 */
final class SharedRedis implements BeforeAllCallback, AfterAllCallback {

  private final boolean appendOnly;
  private Path dir;
  private RedisServer server;
  private RedisClient raw;

  /** An append-only server, for tests of what survives a restart. */
  SharedRedis() {
    this(true);
  }

  /** A server that persists nothing when {@code appendOnly} is false: for volume, not crashes. */
  SharedRedis(boolean appendOnly) {
    this.appendOnly = appendOnly;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("redis-");
    server = RedisServer.start(dir, appendOnly);
    raw = RedisClient.create(server.uri());
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      if (raw != null) {
        raw.close();
      }
      if (server != null) {
        server.close();
      }
    } finally {
      delete(dir);
    }
  }

  /** The server's URI, for a store under test. */
  String uri() {
    return server.uri();
  }

  /** A client straight to the server, for asserting on keys. */
  RedisClient raw() {
    return raw;
  }

  /** Milliseconds since the epoch by the server's clock ({@code TIME}). */
  long millis() {
    return server.millis();
  }

  /**
   * The keys that live exactly as long as session {@code id} stored under {@code prefix} on a
   * standalone Redis: its hash, its token set and each of its tokens.
   */
  List<String> sessionKeys(String prefix, SessionId id) {
    String root = prefix + "v2:";
    List<String> keys = new ArrayList<>(List.of(root + "s:" + id, root + "k:" + id));
    for (String token : raw.smembers(root + "k:" + id)) {
      keys.add(root + "t:" + token);
    }
    return keys;
  }

  /** Deletes {@code dir} and everything under it; nothing if it is {@code null}. */
  static void delete(Path dir) throws IOException {
    if (dir == null) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> {
        try {
          Files.delete(path);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
