package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Option validation: needs no Redis. */
class RedisTokenStoreBuilderTest {

  @Test
  void uri_otherScheme_isRefusedNamingTheScheme() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().uri("http://127.0.0.1:6379"));
    assertEquals("uri scheme must be redis, rediss or redis-cluster: http", e.getMessage());
  }

  @Test
  void uri_clusterNodeWithoutPortOrWithADatabase_isRefused_neverNamingThePassword() {
    for (String uri : List.of("redis-cluster://:hunter2@10.0.0.1:7000,10.0.0.2",
        "redis-cluster://:hunter2@10.0.0.1:7000/1", "redis-cluster://:hunter2@10.0.0.1:99999",
        "redis-cluster://:hunter2@10.0.0.1:7000,,10.0.0.2:7000", "redis-cluster://")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RedisTokenStore.builder().uri(uri), uri);
      assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }
  }

  @Test
  void uri_badPathWithPassword_messageNeverHoldsThePassword() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().uri("redis://app:hunter2@127.0.0.1:6379/zero"));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    IllegalArgumentException syntax = assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().uri("redis://app:hunter2@127.0.0.1:6379/ bad"));
    assertFalse(syntax.getMessage().contains("hunter2"), syntax.getMessage());
  }

  @Test
  void uri_noHost_isRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().uri(URI.create("redis:///0")));
  }

  @Test
  void uri_setTwice_isRefused() {
    RedisTokenStore.Builder builder = RedisTokenStore.builder().uri("redis://127.0.0.1:1");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> builder.uri("redis://127.0.0.1:2"));
    assertEquals("uri was already set", e.getMessage());
  }

  @Test
  void build_withoutUri_isRefused() {
    assertThrows(IllegalStateException.class, () -> RedisTokenStore.builder().build());
  }

  @Test
  void keyPrefix_withGlobCharacters_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> RedisTokenStore.builder().keyPrefix("a*"));
    assertThrows(IllegalArgumentException.class, () -> RedisTokenStore.builder().keyPrefix(""));
  }

  @Test
  void nearCacheTtl_overFiveSeconds_isRefused_andFiveIsAccepted() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().nearCacheTtl(Duration.ofSeconds(6)));
    assertEquals("nearCacheTtl must be 0 to PT5S: PT6S", e.getMessage());
    RedisTokenStore.builder().nearCacheTtl(RedisTokenStore.Builder.MAX_NEAR_CACHE_TTL);
    assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().nearCacheTtl(Duration.ofMillis(-1)));
  }

  @Test
  void timeoutsAndPoolSize_outOfRange_areRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().connectTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().socketTimeout(Duration.ofMinutes(2)));
    assertThrows(IllegalArgumentException.class, () -> RedisTokenStore.builder().poolSize(0));
    assertThrows(IllegalArgumentException.class,
        () -> RedisTokenStore.builder().touchPersistInterval(Duration.ZERO));
  }

  @Test
  void build_redisUnreachable_succeeds_andToStringNamesServerWithoutPassword() {
    try (RedisTokenStore store = RedisTokenStore.builder()
        .uri("redis://app:hunter2@127.0.0.1:1/3")
        .connectTimeout(Duration.ofMillis(200)).build()) {
      assertTrue(store.toString().contains("127.0.0.1:1"), store.toString());
      assertFalse(store.toString().contains("hunter2"));
    }
  }
}
