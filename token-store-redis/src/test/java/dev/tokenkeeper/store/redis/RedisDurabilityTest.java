package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With Redis persisting to its append-only file, every acknowledged write survives Redis being
 * killed (SIGKILL, nothing flushed on the way out) or restarted.
 */
class RedisDurabilityTest {

  @TempDir
  Path dir;
  private RedisServer server;
  private final MutableClock clock = new MutableClock(TokenStoreContract.T0);

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void acknowledgedWrites_redisKilledAndStarted_allSurvive_sameStoreServesAgain()
      throws Exception {
    server = RedisServer.start(dir, true);
    try (RedisTokenStore store = open()) {
      Written written = write(store);
      server.kill();
      server.startAgain();
      written.assertIn(store);
      try (RedisTokenStore reopened = open()) {
        written.assertIn(reopened);
      }
    }
  }

  @Test
  void acknowledgedWrites_redisRestartedGracefully_allSurvive() throws Exception {
    server = RedisServer.start(dir, true);
    try (RedisTokenStore store = open()) {
      Written written = write(store);
      server.restart();
      written.assertIn(store);
    }
  }

  private RedisTokenStore open() {
    return RedisTokenStore.builder().uri(server.uri()).clock(clock).build();
  }

  /** 150 tokens of three subjects; every third revoked, and all of carol's by revoke-all. */
  private static Written write(RedisTokenStore store) {
    Written written = new Written();
    for (int i = 0; i < 150; i++) {
      TokenRecord record = TokenStoreContract.record(List.of("alice", "bob", "carol").get(i % 3));
      store.save(record);
      if (i % 3 == 1 && i % 2 == 0) {
        assertTrue(store.revoke(record.hash(), TokenStoreContract.T0.plusSeconds(1)));
        written.revoked.add(record);
      } else if (i % 3 == 2) {
        written.revoked.add(record);
      } else {
        written.live.add(record);
      }
    }
    store.revokeAll("carol", TokenStoreContract.T0.plusSeconds(2));
    return written;
  }

  private static final class Written {
    final List<TokenRecord> live = new ArrayList<>();
    final List<TokenRecord> revoked = new ArrayList<>();

    void assertIn(RedisTokenStore store) {
      for (TokenRecord record : live) {
        assertEquals(Optional.of(record), store.find(record.hash()));
      }
      for (TokenRecord record : revoked) {
        assertTrue(store.find(record.hash()).orElseThrow().isRevoked());
      }
      assertEquals(50, store.findBySubject("alice").size());
      assertEquals(50, store.findBySubject("carol").size());
      assertFalse(store.findBySubject("alice").stream().allMatch(TokenRecord::isRevoked));
    }
  }
}
