package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static dev.tokenkeeper.core.StoreHarness.T0;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  private final MutableClock clock = new MutableClock(T0);

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

  /**
   * 150 sessions of three subjects, pairs among them rotated; every third revoked, and all of
   * carol's by revoke-all.
   */
  private static Written write(RedisTokenStore store) {
    Written written = new Written();
    for (int i = 0; i < 150; i++) {
      String subject = List.of("alice", "bob", "carol").get(i % 3);
      SessionRecord session;
      if (i % 2 == 0) {
        session = TokenStoreContract.createPair(store, subject);
        Rotation rotation = TokenStoreContract.rotation(session, T0.plusSeconds(1));
        assertTrue(store.rotate(rotation));
        written.rotated.add(session.refreshHash());
        written.tokens.add(rotation.refresh().hash());
      } else {
        session = TokenStoreContract.session(subject);
        written.tokens.add(TokenStoreContract.createSingle(store, session).hash());
      }
      if (i % 3 == 1 && i % 2 == 0) {
        assertTrue(store.revokeSession(session.id(), T0.plusSeconds(2)));
        written.revoked.add(session.id());
      } else if (i % 3 == 2) {
        written.revoked.add(session.id());
      } else {
        written.live.add(session.id());
      }
    }
    store.revokeAll("carol", T0.plusSeconds(3));
    return written;
  }

  private static final class Written {
    final List<SessionId> live = new ArrayList<>();
    final List<SessionId> revoked = new ArrayList<>();
    final List<TokenHash> tokens = new ArrayList<>();
    final List<TokenHash> rotated = new ArrayList<>();

    void assertIn(RedisTokenStore store) {
      for (SessionId id : live) {
        assertFalse(store.findSession(id).orElseThrow().isRevoked());
      }
      for (SessionId id : revoked) {
        assertTrue(store.findSession(id).orElseThrow().isRevoked());
      }
      for (TokenHash hash : tokens) {
        assertFalse(store.find(hash).orElseThrow().token().isRotated());
      }
      for (TokenHash hash : rotated) {
        assertTrue(store.find(hash).orElseThrow().token().isRotated());
      }
      assertEquals(50, store.findSessions("alice").size());
      assertEquals(50, store.findSessions("carol").size());
      assertFalse(store.findSessions("alice").stream().allMatch(SessionRecord::isRevoked));
    }
  }
}
