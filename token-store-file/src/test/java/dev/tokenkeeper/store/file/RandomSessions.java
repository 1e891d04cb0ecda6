package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.List;
import java.util.random.RandomGenerator;

/** Random keys and plain sessions drawn from a seeded stream, so that the seed replays them. */
final class RandomSessions {

  private RandomSessions() {}

  /** A digest fixed by {@code n}, another for each {@code n}: the token of a test's session n. */
  static TokenHash numbered(int n) {
    return TokenHash.sha256Words(n, 0x5DEECE66DL * (n + 1), ~n, 0);
  }

  /** A digest of four longs drawn from {@code random}. */
  static TokenHash hash(RandomGenerator random) {
    return TokenHash.sha256Words(random.nextLong(), random.nextLong(), random.nextLong(),
        random.nextLong());
  }

  /** A digest of 32 bytes drawn from {@code random}. */
  static TokenHash hashOfBytes(RandomGenerator random) {
    byte[] digest = new byte[TokenHash.SHA256_LENGTH];
    random.nextBytes(digest);
    return TokenHash.of(TokenHash.SHA256, digest);
  }

  /**
   * Creates {@code count} plain sessions in {@code index}, one token each, of {@code subjects}
   * users in turn, from {@code t0} for an hour; adds their ids to {@code ids} and their tokens'
   * digests to {@code hashes}.
   */
  static void fill(LiveIndex index, RandomGenerator random, int count, int subjects, Instant t0,
      List<SessionId> ids, List<TokenHash> hashes) {
    for (int n = 0; n < count; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      TokenHash hash = hash(random);
      index.create(SessionRecord.of(new Session(id, "user" + n % subjects, null, t0, t0,
          t0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(hash, id)));
      ids.add(id);
      hashes.add(hash);
    }
  }
}
