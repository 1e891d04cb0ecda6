package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Subjects' lists as snapshot images write them (ascending by slot) and as an open checks them,
 * attacked with real store calls only: several sessions a subject, slots reused after purges so
 * slot order differs from creation order, plain sessions mixed with bound, paired and revoked
 * ones, compactions and reopens (twice, so an image written from a mapped image is itself
 * mapped), crashes. After each, every subject's sessions must read back as
 * {@link InMemoryTokenStore} holds them, a logout everywhere must revoke each, and a revoked
 * session must stay revoked.
 */
class ImageListAttackTest {

  private static final Instant BASE = Instant.parse("2026-06-01T08:00:00Z");

  @TempDir
  Path dir;

  private final MutableClock clock = new MutableClock(BASE);
  private final InMemoryTokenStore model = new InMemoryTokenStore();
  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();
  private final List<String> subjects = new ArrayList<>();
  private FileTokenStore store;
  private long counter;
  private String last = "";

  // ---- scripted: slots reused out of creation order, kinds mixed, reopened twice

  @Test
  void reusedSlotsAndMixedKinds_readBackAndAreRevokedAll_acrossDoubleReopens() {
    subjects.addAll(List.of("alice", "bob"));
    store = open();
    try {
      List<SessionId> shortLived = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        SessionId a = create("alice", i % 2 == 0 ? 60 : 3_600, i % 4);
        if (i % 2 == 0) {
          shortLived.add(a);
        }
        create("bob", i % 3 == 0 ? 60 : 3_600, 0);
      }
      clock.advance(Duration.ofSeconds(120));
      purge();
      // Freed slots are handed out last freed first: these take the slots in reverse order.
      for (int i = 0; i < 5; i++) {
        create("alice", 3_600, i % 3);
        create("bob", 3_600, 0);
      }
      revokeOne(ids.get(ids.size() - 2));
      compare("before any image");
      compact();
      reopen();
      reopen();
      create("alice", 3_600, 0);
      create("alice", 30, 1);
      clock.advance(Duration.ofSeconds(40));
      purge();
      create("alice", 3_600, 0);
      compact();
      reopen();
      reopen();
      revokeAll("alice");
      compare("after revokeAll");
      for (SessionRecord session : store.findSessions("alice")) {
        assertTrue(session.isRevoked(), () -> "not revoked: " + session.session().id());
      }
      crashAndReopen();
      compact();
      reopen();
      reopen();
      for (SessionRecord session : store.findSessions("alice")) {
        assertTrue(session.isRevoked(), () -> "revived: " + session.session().id());
      }
      assertEquals(0, store.revokeAll("alice", clock.instant()));
      assertEquals(model.revokeAll("bob", clock.instant()), store.revokeAll("bob",
          clock.instant()));
      reopen();
      compare("end");
    } finally {
      store.close();
    }
  }

  // ---- keys chosen to cluster: the tables are rebuilt at open

  /**
   * Session ids and token digests chosen to share their table hashes, well within the bound an
   * open rebuilds such tables within: they are built anew at open, and every list still holds.
   */
  @Test
  void collidingKeysBelowTheBound_rebuildAtOpen_andListsHold() {
    subjects.addAll(List.of("x", "y"));
    store = open();
    try {
      Instant now = clock.instant();
      for (int n = 1; n <= 3_000; n++) {
        SessionId id = SessionId.of(n, n);
        TokenHash hash = TokenHash.sha256Words(7L << 32 | 7L, n, n, n); // one digest hash
        hashes.add(hash);
        SessionRecord record = new SessionRecord(new Session(id, n % 3 == 0 ? "y" : "x",
            null, now, now, now.plusSeconds(n % 5 == 0 ? 60 : 3_600)),
            n % 7 == 0 ? new ClientBinding("10.0.0.0/8", null) : null, null, null);
        List<TokenRecord> tokens = List.of(TokenRecord.of(hash, id));
        model.create(record, tokens);
        store.create(record, tokens);
        ids.add(id);
      }
      clock.advance(Duration.ofSeconds(90));
      purge();
      for (int i = 0; i < 50; i++) {
        create(i % 2 == 0 ? "x" : "y", 3_600, i % 3);
      }
      compact();
      reopen();
      reopen();
      revokeAll("x");
      compact();
      reopen();
      crashAndReopen();
      for (SessionRecord session : store.findSessions("x")) {
        assertTrue(session.isRevoked(), () -> "revived: " + session.session().id());
      }
    } finally {
      store.close();
    }
  }

  // ---- the calls, on the store and the model alike

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).clock(clock).durability(Durability.NONE)
        .compactionThreshold(Long.MAX_VALUE).build();
  }

  /** Kind 0 plain, 1 bound, 2 paired, 3 revoked at birth with two tokens. */
  private SessionId create(String subject, int lifetimeSeconds, int kind) {
    counter++;
    SessionId id = SessionId.of(counter * 0x9E37_79B9_7F4A_7C15L, ~counter * 0xC2B2_AE3D_27D4_EB4FL);
    Instant now = clock.instant();
    Session session = new Session(id, subject, kind == 0 && counter % 3 == 0 ? null
        : "device " + counter % 4, now, now, now.plusSeconds(lifetimeSeconds));
    List<TokenRecord> tokens = new ArrayList<>();
    ClientBinding binding = null;
    TokenHash refresh = null;
    Instant revoked = null;
    switch (kind) {
      case 0 -> tokens.add(TokenRecord.of(newHash(), id));
      case 1 -> {
        binding = new ClientBinding("10.0.0.0/8", null);
        tokens.add(TokenRecord.of(newHash(), id));
      }
      case 2 -> {
        refresh = newHash();
        tokens.add(TokenRecord.expiring(newHash(), id, now.plusSeconds(300)));
        tokens.add(TokenRecord.of(refresh, id));
      }
      default -> {
        tokens.add(TokenRecord.of(newHash(), id));
        tokens.add(TokenRecord.of(newHash(), id));
        revoked = now;
      }
    }
    SessionRecord record = new SessionRecord(session, binding, refresh, revoked);
    last = "create " + id;
    model.create(record, tokens);
    store.create(record, tokens);
    ids.add(id);
    return id;
  }

  private void revokeOne(SessionId id) {
    last = "revokeSession " + id;
    assertEquals(model.revokeSession(id, clock.instant()), store.revokeSession(id,
        clock.instant()), last);
  }

  private void revokeAll(String subject) {
    last = "revokeAll " + subject;
    assertEquals(model.revokeAll(subject, clock.instant()), store.revokeAll(subject,
        clock.instant()), last);
    for (SessionRecord session : store.findSessions(subject)) {
      assertTrue(session.isRevoked(), () -> last + " left " + session.session().id());
    }
  }

  private void purge() {
    last = "purgeExpired";
    assertEquals(model.purgeExpired(clock.instant()), store.purgeExpired(clock.instant()), last);
  }

  private void compact() {
    last = "compact";
    store.compact();
    model.purgeExpired(clock.instant());
  }

  private void reopen() {
    last = "close and reopen";
    store.close();
    store = open();
    compare("reopened");
  }

  private void crashAndReopen() {
    purge(); // writes pending uses, so the crash loses nothing the model holds
    last = "abandon and reopen";
    store.abandon();
    store = open();
    compare("after a crash");
  }

  private void compare(String where) {
    String at = where + " (" + last + ")";
    for (String subject : subjects) {
      assertEquals(bag(model.findSessions(subject)), bag(store.findSessions(subject)),
          () -> at + ", subject " + subject);
    }
    for (SessionId id : ids) {
      assertEquals(model.findSession(id), store.findSession(id), () -> at + ", " + id);
    }
    for (TokenHash hash : hashes) {
      assertEquals(model.find(hash), store.find(hash), () -> at + ", token " + hash);
    }
  }

  private static Map<SessionRecord, Integer> bag(List<SessionRecord> sessions) {
    Map<SessionRecord, Integer> counts = new HashMap<>();
    for (SessionRecord session : sessions) {
      counts.merge(session, 1, Integer::sum);
    }
    return counts;
  }

  private TokenHash newHash() {
    counter++;
    TokenHash hash = TokenHash.sha256Words(counter * 0xD6E8_FEB8_6659_FD93L, 3L * counter,
        5L * counter, 7L * counter);
    hashes.add(hash);
    return hash;
  }
}
