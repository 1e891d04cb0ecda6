package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The tokens a race test's one writer issued, for its readers to pick from: each token's session,
 * and which tokens are <i>stable</i> (stored, and staying so until the writer takes them out of
 * this set, before it purges them). A reader that finds a token unknown fails only if it was
 * stable both before and after its lookup.
 */
final class IssuedTokens {

  private final AtomicReferenceArray<TokenHash> issued;
  private final AtomicInteger count = new AtomicInteger();
  private final Map<TokenHash, SessionId> owner = new ConcurrentHashMap<>();
  private final Set<TokenHash> stable = ConcurrentHashMap.newKeySet();

  IssuedTokens(int most) {
    issued = new AtomicReferenceArray<>(most);
  }

  /** A new random digest for a token of session {@code id}. */
  TokenHash newHash(Random random, SessionId id) {
    TokenHash hash = RandomSessions.hash(random);
    owner.put(hash, id);
    return hash;
  }

  /** A session to create, and its tokens. */
  record NewSession(SessionRecord record, List<TokenRecord> tokens) {}

  /**
   * {@code session} with one new token, or if {@code paired} with a new access token that expires
   * five minutes after it was created and a new refresh token.
   */
  NewSession newSession(Random random, Session session, boolean paired) {
    SessionId id = session.id();
    TokenHash token = newHash(random, id);
    if (!paired) {
      return new NewSession(SessionRecord.of(session, null, null),
          List.of(TokenRecord.of(token, id)));
    }
    TokenHash refresh = newHash(random, id);
    return new NewSession(SessionRecord.of(session, null, refresh), List.of(
        TokenRecord.expiring(token, id, session.createdAt().plusSeconds(300)),
        TokenRecord.of(refresh, id)));
  }

  /**
   * A rotation of {@code session} at {@code at} presenting {@code rotated}, with no sealed pair,
   * adding a new refresh token and a new access token, the session then ending at {@code expires}.
   */
  Rotation rotation(Random random, SessionRecord session, TokenHash rotated, Instant at,
      Instant expires) {
    SessionId id = session.id();
    return new Rotation(id, session.refreshHash(), rotated, at, null,
        TokenRecord.of(newHash(random, id), id),
        TokenRecord.expiring(newHash(random, id), id, at.plusSeconds(300)), expires);
  }

  /** Tells readers of {@code tokens}, just stored: stable from now on. */
  void publish(List<TokenRecord> tokens) {
    for (TokenRecord token : tokens) {
      stable.add(token.hash());
      issued.set(count.get(), token.hash());
      count.incrementAndGet();
    }
  }

  /** Tells readers that {@code hashes} may go from now on. */
  void leaving(Collection<TokenHash> hashes) {
    stable.removeAll(hashes);
  }

  /** Tells readers that the tokens of {@code sessions} may go from now on. */
  void sessionsLeaving(Set<SessionId> sessions) {
    stable.removeIf(hash -> sessions.contains(owner.get(hash)));
  }

  boolean isStable(TokenHash hash) {
    return stable.contains(hash);
  }

  /** Forgets which tokens are stable, for a writer that works out anew which ones are. */
  void unsettle() {
    stable.clear();
  }

  /** Marks {@code hash} stable again, found stored. */
  void settled(TokenHash hash) {
    stable.add(hash);
  }

  SessionId owner(TokenHash hash) {
    return owner.get(hash);
  }

  int count() {
    return count.get();
  }

  TokenHash get(int n) {
    return issued.get(n);
  }

  /**
   * {@code hash} looked up by {@code find}.
   *
   * @throws AssertionError if it is not found though it was stable before and after the lookup
   */
  Optional<TokenEntry> find(TokenHash hash, Function<TokenHash, Optional<TokenEntry>> find,
      Supplier<String> what) {
    boolean wasStable = isStable(hash);
    Optional<TokenEntry> found = find.apply(hash);
    if (found.isEmpty() && wasStable && isStable(hash)) {
      throw new AssertionError("a stored token reported unknown: " + what.get());
    }
    return found;
  }

  /**
   * A token issued so far, or null if none is: a quarter of the time any, else one of the latest
   * {@code recent}, whose sessions are the ones being changed right now.
   */
  TokenHash pick(Random random, int recent) {
    int issuedSoFar = count.get();
    if (issuedSoFar == 0) {
      return null;
    }
    return issued.get(random.nextInt(4) == 0 ? random.nextInt(issuedSoFar)
        : issuedSoFar - 1 - random.nextInt(Math.min(issuedSoFar, recent)));
  }
}
