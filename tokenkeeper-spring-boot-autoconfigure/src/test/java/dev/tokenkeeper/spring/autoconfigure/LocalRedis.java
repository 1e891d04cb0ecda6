package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.store.redis.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.util.FileSystemUtils;

/**
 * A real redis-server (append-only) in a temporary directory for one test class, on a free
 * loopback port: register it as a static {@code @RegisterExtension} field. Skips the class when
 * no redis-server is installed, as {@link RedisServer} does (fails under {@code CI=true}).
 */
final class LocalRedis implements BeforeAllCallback, AfterAllCallback {

  private Path directory;
  private RedisServer server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    directory = Files.createTempDirectory("tokenkeeper-redis-");
    server = RedisServer.start(directory, true);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.close();
    }
    FileSystemUtils.deleteRecursively(directory);
  }

  /** The running server; only from the class's tests (or a supplier they call). */
  RedisServer server() {
    return server;
  }
}
