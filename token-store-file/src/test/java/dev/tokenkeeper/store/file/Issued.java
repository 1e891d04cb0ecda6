package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/** A single-token session as the file store's own tests create one, and what they ask of it. */
record Issued(SessionRecord session, TokenRecord token) {

  /** Creates a session of {@code subject} from {@code T0}, ending {@code ttl} later. */
  static Issued create(TokenStore store, String subject, Duration ttl) {
    SessionRecord session = TokenStoreContract.session(subject, ttl);
    TokenRecord token = TokenStoreContract.token(session.id());
    store.create(session, List.of(token));
    return new Issued(session, token);
  }

  /**
   * Creates a plain session of {@code subject} and {@code label} (or null) from {@code at} to
   * {@code expires}, its id and token drawn from {@code random}, so a seed replays them.
   */
  static Issued create(TokenStore store, Random random, String subject, String label,
      Instant at, Instant expires) {
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    TokenHash hash = RandomSessions.hash(random);
    SessionRecord session =
        SessionRecord.of(new Session(id, subject, label, at, at, expires), null, null);
    TokenRecord token = TokenRecord.of(hash, id);
    store.create(session, List.of(token));
    return new Issued(session, token);
  }

  static Issued create(TokenStore store, String subject) {
    return create(store, subject, Duration.ofHours(1));
  }

  /**
   * One seeded random write of a writer thread: a quarter of the time, while it has any, revokes
   * one of {@code mine} (at {@code at}), else creates a session of {@code subject}; adds what was
   * acknowledged to {@code created} or {@code revoked}.
   */
  static void createOrRevoke(TokenStore store, String subject, Random choices, List<Issued> mine,
      Instant at, List<Issued> created, List<Issued> revoked) {
    if (!mine.isEmpty() && choices.nextInt(4) == 0) {
      Issued target = mine.remove(choices.nextInt(mine.size()));
      if (!target.revoke(store, at)) {
        throw new AssertionError("revoke of a live session said it was not: " + target);
      }
      revoked.add(target);
    } else {
      Issued session = create(store, subject);
      created.add(session);
      mine.add(session);
    }
  }

  TokenHash hash() {
    return token.hash();
  }

  SessionId id() {
    return session.id();
  }

  /** The subject and label a lookup of the session must return. */
  String subject() {
    return session.session().subject();
  }

  String label() {
    return session.session().label();
  }

  boolean revoke(TokenStore store, Instant at) {
    return store.revokeSession(session.id(), at);
  }

  /** The session as {@code store} holds it now, if it does. */
  Optional<SessionRecord> in(TokenStore store) {
    return store.find(token.hash()).map(TokenEntry::session);
  }

  /** Whether {@code store} holds the session revoked (a purged one counts as gone, not revoked). */
  boolean isRevokedIn(TokenStore store) {
    return in(store).map(SessionRecord::isRevoked).orElse(false);
  }
}
