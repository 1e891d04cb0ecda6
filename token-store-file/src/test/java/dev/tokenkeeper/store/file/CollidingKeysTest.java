package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacker's keys: the store's SPI takes any digest and any session id, so a caller can hand
 * it keys that share a hash (a crafted import, a migration of another system's ids). Under the
 * unkeyed hashes of format 5 twenty thousand such keys filled one run of the tables, every
 * insert walked it, and a snapshot of them was refused at the next open ("collide too often to
 * index"): a restart lost the store. Under tables keyed by a seed of their own they are keys
 * like any other.
 */
class CollidingKeysTest {

  private static final int KEYS = 20_000;
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir
  Path tmp;

  @Test
  void keysThatCollideUnkeyed_areStored_snapshotted_andFoundAfterARestart() {
    SplittableRandom random = new SplittableRandom(7);
    List<TokenHash> hashes = new ArrayList<>();
    List<SessionId> ids = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      // The same first word for every digest, and the same high ^ low for every id: one hash
      // each under format 5's.
      long high = random.nextLong();
      ids.add(SessionId.of(high, high ^ 0x5EED_5EED_5EED_5EEDL));
      hashes.add(TokenHash.of(TokenHash.SHA256, ByteBuffer.allocate(32)
          .putLong(0x0123_4567_89AB_CDEFL).putLong(random.nextLong())
          .putLong(random.nextLong()).putLong(random.nextLong()).array()));
    }
    assertEquals(1, hashes.stream().mapToInt(h -> KeyHash.FORMAT_5.digest(h.word(0), h.word(1),
        h.word(2), h.word(3))).distinct().count(), "the digests collide unkeyed");
    assertEquals(1, ids.stream().mapToInt(id -> KeyHash.FORMAT_5.id(id.high(), id.low()))
        .distinct().count(), "the ids collide unkeyed");

    Path dir = tmp.resolve("store");
    try (FileTokenStore store = open(dir)) {
      for (int i = 0; i < KEYS; i++) {
        Session session = new Session(ids.get(i), "user" + (i % 100), "laptop", NOW, NOW,
            NOW.plus(Duration.ofDays(7)));
        store.create(SessionRecord.of(session, null, null),
            List.of(TokenRecord.of(hashes.get(i), session.id())));
      }
      store.compact();
    }
    for (int reopen = 0; reopen < 2; reopen++) {
      try (FileTokenStore store = open(dir)) {
        for (int i = 0; i < KEYS; i++) {
          assertEquals(ids.get(i), store.find(hashes.get(i)).orElseThrow().session().session().id(),
              "token " + i + ", reopen " + reopen);
          assertTrue(store.findSession(ids.get(i)).isPresent(), "session " + i);
        }
        assertTrue(store.revokeSession(ids.get(reopen), NOW), "a colliding session is revoked");
        assertTrue(store.find(hashes.get(reopen)).orElseThrow().session().isRevoked());
        store.compact();
      }
    }
  }

  private FileTokenStore open(Path dir) {
    return FileTokenStore.builder().directory(dir).clock(java.time.Clock.fixed(NOW,
        java.time.ZoneOffset.UTC)).build();
  }
}
