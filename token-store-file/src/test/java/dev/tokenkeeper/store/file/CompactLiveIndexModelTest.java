package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * The compact index against {@link InMemoryTokenStore}, the reference, on the same long random
 * sequence of calls: every return value, exception type, record and count must agree. Enough
 * sessions are created and purged to make the tables rebuild, slots and records be reused and the
 * text pool drop and reclaim texts. Every 7,919 calls the index is written as a snapshot's image
 * and read back, and the calls go on against the index read. Replay a failure with
 * {@code -Dtest.seed=N}.
 */
class CompactLiveIndexModelTest {

  private static final int OPERATIONS = 150_000;
  private static final Instant BASE = Instant.parse("2026-03-01T10:00:00.123456789Z");

  private final long seed = TestSeed.of("CompactLiveIndexModelTest");
  private final Random random = new Random(seed);
  private LiveIndex compact = new CompactLiveIndex();
  private final InMemoryTokenStore model = new InMemoryTokenStore();
  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();
  private final List<String> subjects = new ArrayList<>();
  private final List<String> labels = new ArrayList<>();
  private Instant now = BASE;
  private int step;
  private String lastCall = "";
  private int most;

  @Test
  void everyCallAgreesWithTheReferenceStore() {
    fillTexts();
    for (step = 0; step < OPERATIONS; step++) {
      now = now.plusMillis(random.nextInt(300)).plusNanos(random.nextInt(1000));
      int pick = random.nextInt(100);
      if (pick < 30 || ids.size() < 50) {
        create();
      } else if (pick < 45) {
        TokenHash hash = someHash();
        agree("find " + hash, () -> compact.find(hash), () -> model.find(hash));
      } else if (pick < 50) {
        SessionId id = someId();
        agree("findSession", () -> compact.findSession(id), () -> model.findSession(id));
        agreeAsBags("tokensOf", () -> compact.tokensOf(id), () -> model.tokensOf(id));
      } else if (pick < 54) {
        String subject = someText();
        agreeAsBags("findSessions " + subject, () -> compact.findSessions(subject),
            () -> model.findSessions(subject));
      } else if (pick < 66) {
        rotate();
      } else if (pick < 70) {
        SessionId id = someId();
        Instant at = someInstant();
        agree("revokeSession", () -> compact.revokeSession(id, at),
            () -> model.revokeSession(id, at));
      } else if (pick < 72) {
        String subject = someText();
        Instant at = someInstant();
        agree("revokeAll " + subject, () -> compact.revokeAll(subject, at),
            () -> model.revokeAll(subject, at));
      } else if (pick < 88) {
        touch();
      } else if (pick < 90) {
        Instant at = random.nextInt(20) == 0 ? someInstant() : now;
        for (int tries = 0; tries < 20 && random.nextInt(4) == 0; tries++) {
          // Exactly when some session ended: it is purgeable from that instant on.
          Instant end = model.findSession(someId()).map(SessionRecord::expiresAt).orElse(now);
          if (!end.isAfter(now)) {
            at = end;
            break;
          }
        }
        Instant purgeAt = at;
        agree("purgeExpired " + purgeAt, () -> compact.purgeExpired(purgeAt),
            () -> model.purgeExpired(purgeAt));
      } else if (pick < 91 && random.nextInt(20) == 0) {
        // A quiet spell: many sessions expire and a purge frees their slots for reuse.
        now = now.plus(Duration.ofMinutes(random.nextInt(180)));
      }
      most = Math.max(most, model.sessionCount());
      assertEquals(model.sessionCount(), compact.sessionCount(), this::where);
      assertEquals(model.tokenCount(), compact.tokenCount(), this::where);
      if (step % 5000 == 4999) {
        compareEverything();
      }
      if (step % 7919 == 7918) {
        // Through a snapshot's image and back, as open reads it (or, every other time, as a
        // compaction serves it, every subject marked first); the calls go on against it.
        compact = ImageRoundTrip.of(compact);
        if (step % 2 == 0) {
          compact.prepareLookups();
        }
        compareEverything();
      }
    }
    compareEverything();
    assertTrue(most > 1000, "too few sessions at once to make the tables grow: " + most);
    System.out.println("CompactLiveIndexModelTest: at most " + most + " sessions at once");
    // Everything goes, then the index starts again from empty.
    agree("purgeExpired MAX", () -> compact.purgeExpired(Instant.MAX),
        () -> model.purgeExpired(Instant.MAX));
    assertEquals(0, compact.sessionCount(), this::where);
    assertEquals(0, compact.tokenCount(), this::where);
    for (int i = 0; i < 500; i++) {
      create();
    }
    compareEverything();
  }

  // ---- operations

  private void create() {
    SessionId id = random.nextInt(200) == 0 && !ids.isEmpty() ? someId() : newId();
    String subject = subjects.get(random.nextInt(subjects.size()));
    String label = random.nextInt(4) == 0 ? null : labels.get(random.nextInt(labels.size()));
    if (random.nextInt(5) == 0) {
      // A label few sessions share, so purges leave many texts unused for the pool to drop.
      label = "phone " + random.nextInt(100_000);
    }
    Instant created = random.nextInt(10) == 0 ? someInstant() : now;
    Instant lastUsed = random.nextInt(5) == 0 ? later(created, 1 + random.nextInt(1000)) : created;
    Instant expires = later(lastUsed, 1 + random.nextInt(7_200_000));
    if (random.nextInt(30) == 0) {
      expires = Instant.MAX;
    }
    Session session = new Session(id, subject, label, created, lastUsed, expires);
    List<TokenRecord> tokens = new ArrayList<>();
    ClientBinding binding = null;
    TokenHash refresh = null;
    Instant revoked = null;
    int kind = random.nextInt(10);
    if (kind < 6) {
      tokens.add(TokenRecord.of(newOrSomeHash(), idOrOther(id)));
    } else if (kind < 8) {
      refresh = newOrSomeHash();
      tokens.add(TokenRecord.expiring(newOrSomeHash(), idOrOther(id), later(created, 300_000)));
      tokens.add(TokenRecord.of(refresh, id));
    } else if (kind == 8) {
      binding = new ClientBinding("10.0.0.0/8", random.nextBoolean() ? null : "ab".repeat(16));
      tokens.add(TokenRecord.of(newOrSomeHash(), id));
    } else {
      int count = random.nextInt(4);
      for (int i = 0; i < count; i++) {
        tokens.add(TokenRecord.of(newOrSomeHash(), id));
      }
      revoked = random.nextBoolean() ? someInstant() : null;
    }
    SessionRecord record = new SessionRecord(session, binding, refresh, revoked);
    agree("create", () -> {
      compact.create(record, tokens);
      return null;
    }, () -> {
      model.create(record, tokens);
      return null;
    });
  }

  private void rotate() {
    SessionId id = someId();
    List<TokenRecord> held = model.tokensOf(id);
    TokenHash rotated = held.isEmpty() || random.nextInt(10) == 0
        ? someHash() : held.get(random.nextInt(held.size())).hash();
    TokenHash expected = model.findSession(id).map(SessionRecord::refreshHash).orElse(null);
    if (random.nextInt(10) == 0) {
      expected = expected == null ? rotated : null;
    }
    Instant at = random.nextInt(10) == 0 ? someInstant() : now;
    SealedSuccessor successor = random.nextInt(3) == 0 ? null : SealedSuccessor.of(
        randomBytes(29 + random.nextInt(40)), later(at, random.nextInt(120_000)));
    TokenRecord refresh = TokenRecord.of(newOrSomeHash(), id);
    TokenRecord access = TokenRecord.expiring(newOrSomeHash(), id, later(at, 300_000));
    Instant expires = random.nextInt(20) == 0 ? someInstant() : later(at, random.nextInt(7_200_000));
    Rotation rotation =
        new Rotation(id, expected, rotated, at, successor, refresh, access, expires);
    agree("rotate", () -> compact.rotate(rotation), () -> model.rotate(rotation));
  }

  private void touch() {
    SessionId id = someId();
    Instant used = random.nextInt(10) == 0 ? someInstant() : now;
    Instant expires = random.nextInt(10) == 0 ? someInstant() : later(used, random.nextInt(3_600_000));
    if (random.nextBoolean()) {
      agree("touch", () -> {
        compact.touch(id, used, expires);
        return null;
      }, () -> {
        model.touch(id, used, expires);
        return null;
      });
      return;
    }
    SessionRecord before = model.findSession(id).orElse(null);
    agree("touchIfLive", () -> compact.touchIfLive(id, used, expires), () -> {
      model.touch(id, used, expires);
      return !Objects.equals(before, model.findSession(id).orElse(null));
    });
  }

  // ---- comparing

  private void agree(String call, Callable<?> onCompact, Callable<?> onModel) {
    lastCall = call;
    Object expected;
    Object actual;
    try {
      expected = onModel.call();
    } catch (Exception e) {
      expected = e.getClass();
    }
    try {
      actual = onCompact.call();
    } catch (Exception e) {
      actual = e.getClass();
      if (!Objects.equals(expected, actual)) {
        throw new AssertionError(where() + ": expected " + expected, e);
      }
    }
    assertEquals(expected, actual, this::where);
  }

  private void agreeAsBags(String call, Callable<List<?>> onCompact, Callable<List<?>> onModel) {
    agree(call, () -> bag(onCompact.call()), () -> bag(onModel.call()));
  }

  private static Map<Object, Integer> bag(List<?> items) {
    Map<Object, Integer> counts = new HashMap<>();
    for (Object item : items) {
      counts.merge(item, 1, Integer::sum);
    }
    return counts;
  }

  private void compareEverything() {
    List<SessionRecord> all = new ArrayList<>();
    List<SessionRecord> expected = new ArrayList<>();
    compact.forEachSession(all::add);
    model.forEachSession(expected::add);
    assertEquals(bag(expected), bag(all), this::where);
    for (SessionRecord session : expected) {
      assertEquals(bag(model.tokensOf(session.id())), bag(compact.tokensOf(session.id())),
          this::where);
      for (TokenRecord token : model.tokensOf(session.id())) {
        assertEquals(model.find(token.hash()), compact.find(token.hash()), this::where);
      }
    }
    for (String text : subjects) {
      assertEquals(bag(model.findSessions(text)), bag(compact.findSessions(text)), this::where);
    }
  }

  private String where() {
    return "step " + step + " (" + lastCall + "), " + TestSeed.replay(seed);
  }

  // ---- inputs

  private void fillTexts() {
    subjects.add("alice");
    subjects.add("Alice");
    subjects.add("ALICE");
    subjects.add("bob");
    subjects.add("z".repeat(256));
    subjects.add("é".repeat(256));
    subjects.add("\uD83D\uDE00".repeat(128));
    subjects.add("ß");
    subjects.add("ss");
    subjects.add("用户");
    subjects.add("alice?");
    for (int i = 0; i < 150; i++) {
      subjects.add("user" + i);
    }
    labels.add("Firefox on Linux");
    labels.add("x".repeat(256));
    labels.add("ü".repeat(256));
    labels.add("alice");
    labels.add(" ");
    labels.add("phone ?");
    for (int i = 0; i < 150; i++) {
      labels.add("device " + i);
    }
  }

  /** A subject or label held, or a text never stored. */
  private String someText() {
    int pick = random.nextInt(10);
    if (pick < 6) {
      return subjects.get(random.nextInt(subjects.size()));
    }
    if (pick < 9) {
      return labels.get(random.nextInt(labels.size()));
    }
    // A query text with a lone surrogate names no subject, not the one its UTF-8 would spell.
    return random.nextBoolean() ? "alice\uD800" : "nobody" + random.nextInt(5);
  }

  private SessionId newId() {
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    ids.add(id);
    return id;
  }

  private SessionId someId() {
    return random.nextInt(50) == 0 ? SessionId.of(random.nextLong(), random.nextLong())
        : ids.get(random.nextInt(ids.size()));
  }

  private SessionId idOrOther(SessionId id) {
    return random.nextInt(300) == 0 ? someId() : id;
  }

  private TokenHash newOrSomeHash() {
    if (random.nextInt(300) == 0 && !hashes.isEmpty()) {
      return someHash();
    }
    TokenHash hash = TokenHash.sha256Words(random.nextLong(), random.nextLong(),
        random.nextLong(), random.nextLong());
    hashes.add(hash);
    return hash;
  }

  private TokenHash someHash() {
    if (random.nextInt(30) == 0 || hashes.isEmpty()) {
      return TokenHash.sha256Words(random.nextLong(), 1, 2, 3);
    }
    TokenHash known = hashes.get(random.nextInt(hashes.size()));
    if (random.nextInt(30) == 0) {
      // Same first word (same table hash), another digest.
      return TokenHash.sha256Words(known.word(0), known.word(1), known.word(2), ~known.word(3));
    }
    return known;
  }

  /** Now, or an instant at an edge of what a long of nanoseconds holds, or far beyond. */
  private Instant someInstant() {
    return switch (random.nextInt(12)) {
      case 0 -> Instant.MIN;
      case 1 -> Instant.MAX.minusSeconds(10_000);
      case 2 -> Instant.ofEpochSecond(8_999_999_999L, 999_999_999);
      case 3 -> Instant.ofEpochSecond(9_000_000_000L);
      case 4 -> Instant.ofEpochSecond(-8_999_999_999L, 1);
      case 5 -> Instant.ofEpochSecond(-9_000_000_001L);
      case 6 -> Instant.parse("2262-04-11T23:47:16.854775807Z");
      case 7 -> Instant.parse("2262-04-11T23:47:16.854775808Z");
      case 8 -> Instant.parse("1677-09-21T00:12:43.145224191Z");
      case 9 -> Instant.EPOCH.minusNanos(1);
      default -> now.minusMillis(random.nextInt(1_000_000));
    };
  }

  private static Instant later(Instant from, long millis) {
    return Instant.MAX.minusMillis(millis).isBefore(from) ? Instant.MAX : from.plusMillis(millis);
  }

  private byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }
}
