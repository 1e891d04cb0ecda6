package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real store on the real file system, whose snapshots are images mapped at open, against
 * {@link InMemoryTokenStore} on one seeded history: sessions of every kind (plain, paired,
 * bound, with several tokens, revoked at birth) under subjects they share, refreshes (current
 * and replayed), logouts, logouts everywhere, uses and purges, interrupted every few dozen calls
 * by a compaction, a clean reopen, or an abandon and reopen, often several in a row. After each,
 * every session, token and subject must read back exactly as the reference holds them. Replay a
 * failure with {@code -Dtest.seed=N}.
 */
class ImageStoreModelTest {

  private static final int OPERATIONS = 4_000;
  private static final Instant BASE = Instant.parse("2026-06-01T08:00:00Z");

  @TempDir
  Path dir;

  private final long seed = TestSeed.of("ImageStoreModelTest");
  private final Random random = new Random(seed);
  private final MutableClock clock = new MutableClock(BASE);
  private final InMemoryTokenStore model = new InMemoryTokenStore();
  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();
  private final String[] subjects = {"alice", "bob", "carol", "d\u00e9sir\u00e9e", "user 5"};
  private FileTokenStore store;
  private int step;
  private String last = "";

  @Test
  void everySessionReadsBack_acrossImagesReopensAndCrashes() {
    store = open();
    try {
      for (step = 0; step < OPERATIONS; step++) {
        clock.advance(Duration.ofSeconds(random.nextInt(90)));
        int pick = random.nextInt(100);
        if (pick < 35 || ids.size() < 20) {
          create();
        } else if (pick < 50) {
          rotate();
        } else if (pick < 58) {
          settleUses();
          SessionId id = someId();
          last = "revokeSession " + id;
          assertEquals(model.revokeSession(id, clock.instant()),
              store.revokeSession(id, clock.instant()), this::where);
        } else if (pick < 61) {
          settleUses();
          String subject = subjects[random.nextInt(subjects.length)];
          last = "revokeAll " + subject;
          assertEquals(model.revokeAll(subject, clock.instant()),
              store.revokeAll(subject, clock.instant()), this::where);
        } else if (pick < 85) {
          SessionId id = someId();
          Instant used = clock.instant();
          Instant expires = used.plusSeconds(random.nextInt(3_600));
          last = "touch " + id;
          model.touch(id, used, expires);
          store.touch(id, used, expires);
        } else if (pick < 88) {
          last = "purgeExpired";
          assertEquals(model.purgeExpired(clock.instant()), store.purgeExpired(clock.instant()),
              this::where);
        } else if (pick < 89 && random.nextInt(4) == 0) {
          clock.advance(Duration.ofMinutes(30 + random.nextInt(90)));
        }
        if (random.nextInt(40) == 0) {
          interrupt();
        }
      }
      interrupt();
    } finally {
      store.close();
    }
  }

  // ---- compactions, reopens, crashes

  private void interrupt() {
    for (int rounds = 1 + random.nextInt(3); rounds > 0; rounds--) {
      switch (random.nextInt(4)) {
        case 0, 1 -> {
          last = "compact";
          store.compact(); // purges what has ended by the store's clock, as the model does here
          model.purgeExpired(clock.instant());
        }
        case 2 -> {
          last = "close and reopen";
          store.close();
          store = open();
        }
        default -> {
          // Uses are written lazily; a purge writes them first, so nothing the model holds is
          // lost to the crash that follows.
          last = "abandon and reopen";
          assertEquals(model.purgeExpired(clock.instant()), store.purgeExpired(clock.instant()),
              this::where);
          store.abandon();
          store = open();
        }
      }
      compareEverything();
    }
  }

  /**
   * Writes the uses not written yet, by a purge that forgets nothing, before a logout. A logout
   * now writes its own sessions' pending uses (ReplayMatchesMemoryTest holds it to that); this
   * also puts every other session's on disk at that point of the history.
   */
  private void settleUses() {
    assertEquals(0, store.purgeExpired(Instant.EPOCH), this::where);
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).clock(clock).durability(Durability.NONE)
        .compactionThreshold(Long.MAX_VALUE).build();
  }

  // ---- the calls

  private void create() {
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    String subject = subjects[random.nextInt(subjects.length)];
    String label = switch (random.nextInt(4)) {
      case 0 -> null;
      case 1 -> "phone " + random.nextInt(10_000); // few share it: purges drop it
      default -> "laptop " + random.nextInt(5);
    };
    Instant now = clock.instant();
    Session session = new Session(id, subject, label, now, now,
        now.plusSeconds(60 + random.nextInt(7_200)));
    List<TokenRecord> tokens = new ArrayList<>();
    ClientBinding binding = null;
    TokenHash refresh = null;
    Instant revoked = null;
    int kind = random.nextInt(10);
    if (kind < 5) {
      tokens.add(TokenRecord.of(newHash(), id));
    } else if (kind < 8) {
      refresh = newHash();
      tokens.add(TokenRecord.expiring(newHash(), id, now.plusSeconds(300)));
      tokens.add(TokenRecord.of(refresh, id));
    } else if (kind == 8) {
      binding = new ClientBinding("10.0.0.0/8", null);
      tokens.add(TokenRecord.of(newHash(), id));
    } else {
      for (int i = 1 + random.nextInt(3); i > 0; i--) {
        tokens.add(TokenRecord.of(newHash(), id));
      }
      revoked = random.nextBoolean() ? now : null;
    }
    SessionRecord record = new SessionRecord(session, binding, refresh, revoked);
    last = "create " + id;
    model.create(record, tokens);
    store.create(record, tokens);
    ids.add(id);
  }

  private void rotate() {
    SessionId id = someId();
    SessionRecord held = model.findSession(id).orElse(null);
    if (held == null) {
      return;
    }
    List<TokenRecord> tokens = model.tokensOf(id);
    // The current refresh token mostly; else any token of the session, a replay.
    TokenHash rotated = held.refreshHash() != null && random.nextInt(4) != 0
        ? held.refreshHash() : tokens.get(random.nextInt(tokens.size())).hash();
    Instant at = clock.instant();
    byte[] sealed = new byte[40];
    random.nextBytes(sealed);
    SealedSuccessor successor = random.nextBoolean() ? null
        : SealedSuccessor.of(sealed, at.plusSeconds(random.nextInt(120)));
    Rotation rotation = new Rotation(id, held.refreshHash(), rotated, at, successor,
        TokenRecord.of(newHash(), id), TokenRecord.expiring(newHash(), id, at.plusSeconds(300)),
        at.plusSeconds(random.nextInt(7_200)));
    last = "rotate " + id;
    assertEquals(model.rotate(rotation), store.rotate(rotation), this::where);
  }

  // ---- comparing

  private void compareEverything() {
    for (SessionId id : ids) {
      assertEquals(model.findSession(id), store.findSession(id), () -> where() + ", " + id);
    }
    for (TokenHash hash : hashes) {
      assertEquals(model.find(hash), store.find(hash), () -> where() + ", token " + hash);
    }
    for (String subject : subjects) {
      assertEquals(bag(model.findSessions(subject)), bag(store.findSessions(subject)),
          () -> where() + ", subject " + subject);
    }
  }

  private static Map<SessionRecord, Integer> bag(List<SessionRecord> sessions) {
    Map<SessionRecord, Integer> counts = new HashMap<>();
    for (SessionRecord session : sessions) {
      counts.merge(session, 1, Integer::sum);
    }
    return counts;
  }

  private String where() {
    return "step " + step + " (" + last + "), " + TestSeed.replay(seed);
  }

  private TokenHash newHash() {
    TokenHash hash = TokenHash.sha256Words(random.nextLong(), random.nextLong(),
        random.nextLong(), random.nextLong());
    hashes.add(hash);
    return hash;
  }

  private SessionId someId() {
    return ids.get(random.nextInt(ids.size()));
  }
}
