package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;
import redis.clients.jedis.Jedis;

/**
 * What a Redis must be before the store uses it, each setting on a real server started with it:
 * refused where a setting would silently break a promise, warned where it only weakens one.
 */
class RedisDeploymentCheckTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir
  Path dir;

  @Test
  void build_allkeysLru_isRefused_namingTheSettingAndTheFix() throws Exception {
    try (RedisServer server = RedisServer.start(dir, true, "--maxmemory-policy", "allkeys-lru")) {
      StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
          () -> builder(server).build());
      assertTrue(e.getMessage().contains("maxmemory-policy allkeys-lru"), e.getMessage());
      assertTrue(e.getMessage().contains("Set maxmemory-policy noeviction"), e.getMessage());
    }
  }

  /** Every key of the store has a TTL, so the volatile policies may evict any of them too. */
  @Test
  void build_volatileLfu_isRefused() throws Exception {
    try (RedisServer server = RedisServer.start(dir, true, "--maxmemory-policy", "volatile-lfu")) {
      StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
          () -> builder(server).build());
      assertTrue(e.getMessage().contains("maxmemory-policy volatile-lfu"), e.getMessage());
    }
  }

  @Test
  void firstCall_redisWasDownAtBuild_andEvicts_isRefused_untilTheSettingIsFixed()
      throws Exception {
    try (RedisServer server = RedisServer.start(dir, true, "--maxmemory-policy", "allkeys-lfu")) {
      server.kill();
      try (RedisTokenStore store = builder(server).build()) {
        server.startAgain();
        TokenService tokens = TokenService.builder().store(store).build();
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
            () -> tokens.issue("alice"));
        assertTrue(e.getMessage().contains("maxmemory-policy allkeys-lfu"), e.getMessage());
        try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
          admin.configSet("maxmemory-policy", "noeviction");
        }
        assertTrue(tokens.authenticate(tokens.issue("alice").plaintext()).isAuthenticated());
      }
    }
  }

  @Test
  void build_clusterMode_isRefused() throws Exception {
    try (RedisServer server = RedisServer.start(dir, false, "--cluster-enabled", "yes",
        "--cluster-config-file", dir.resolve("nodes.conf").toString())) {
      StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
          () -> builder(server).build());
      assertTrue(e.getMessage().contains("cluster mode"), e.getMessage());
    }
  }

  @Test
  void build_appendfsyncEverysec_warnsThatOnlyAlwaysLosesNothing() throws Exception {
    try (RedisServer server = RedisServer.start(dir, true, "--appendfsync", "everysec")) {
      builder(server).build().close();
      List<String> warnings = CapturedLogs.texts(Level.WARN,
          "127.0.0.1:" + server.port() + " has appendfsync everysec");
      assertEquals(1, warnings.size(), CapturedLogs.lines().toString());
      assertTrue(warnings.get(0).contains("appendfsync always loses nothing"), warnings.get(0));
    }
  }

  @Test
  void build_appendonlyOff_warns() throws Exception {
    try (RedisServer server = RedisServer.start(dir, false)) {
      builder(server).build().close();
      assertEquals(1, CapturedLogs.texts(Level.WARN,
          "127.0.0.1:" + server.port() + " has appendonly off").size());
    }
  }

  /** A least-privilege ACL user may not run INFO: the store serves, saying what it cannot check. */
  @Test
  void build_aclUserWithoutInfo_serves_andWarnsThatNothingCouldBeVerified() throws Exception {
    try (RedisServer server = RedisServer.start(dir, true)) {
      try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
        admin.aclSetUser("tokens", "on", ">s3cret-acl", "~*", "+@all", "-info", "-config");
      }
      String uri = "redis://tokens:s3cret-acl@127.0.0.1:" + server.port();
      try (RedisTokenStore store = RedisTokenStore.builder().uri(uri).connectTimeout(TIMEOUT)
          .socketTimeout(TIMEOUT).build()) {
        TokenService tokens = TokenService.builder().store(store).build();
        assertTrue(tokens.authenticate(tokens.issue("alice").plaintext()).isAuthenticated());
        List<String> warnings = CapturedLogs.texts(Level.WARN,
            "127.0.0.1:" + server.port() + ": maxmemory-policy and persistence cannot be verified");
        assertEquals(1, warnings.size(), CapturedLogs.lines().toString());
        assertTrue(!warnings.get(0).contains("s3cret-acl"), "the password reached the log");
      }
    }
  }

  private static RedisTokenStore.Builder builder(RedisServer server) {
    return RedisTokenStore.builder().uri(server.uri()).connectTimeout(TIMEOUT)
        .socketTimeout(TIMEOUT);
  }
}
