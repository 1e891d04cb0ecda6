package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Upgrades a store written in format 1, where each token carried its own copy of its session, to
 * sessions and tokens of their own. Format 1 entries are first replayed the way the previous
 * release did (its rules: a revoke keeps its first instant, a touch only moves forward and never
 * touches a revoked token, a purge drops tokens whose own session copy expired); then the tokens
 * are grouped by session id, each group becoming one {@link SessionRecord}:
 *
 * <ul>
 *   <li>subject, label and binding from its tokens, created at the earliest, last used at the
 *       latest, and expiring at the latest expiry of its tokens;
 *   <li>revoked only if every token of it is revoked, at the latest of their revocations;
 *   <li>no current refresh token ({@code refreshHash} null): format 1 did not record kinds.
 * </ul>
 *
 * <p>A session with one token keeps it without an expiry of its own, so it keeps sliding with use.
 * In a session with several, each token keeps its own expiry (a paired access token its short
 * one), and a revoked token of a session that still has live tokens becomes a rotated tombstone
 * (rotated at its revocation, no sealed pair): that is what a refresh left behind in format 1,
 * and presenting it again is reuse. Single-threaded; used once, while opening.
 */
final class V1Upgrade {

  private final Map<TokenHash, LogEntry.V1Token> tokens = new LinkedHashMap<>();
  private final Map<String, Set<TokenHash>> bySubject = new HashMap<>();

  boolean isEmpty() {
    return tokens.isEmpty();
  }

  int tokenCount() {
    return tokens.size();
  }

  /** Replays one format 1 entry as the previous release did. */
  void apply(LogEntry.V1 entry) {
    if (entry instanceof LogEntry.V1Save save) {
      LogEntry.V1Token token = save.token();
      if (tokens.putIfAbsent(token.hash(), token) == null) {
        bySubject.computeIfAbsent(token.session().subject(), s -> new LinkedHashSet<>())
            .add(token.hash());
      }
    } else if (entry instanceof LogEntry.V1Revoke revoke) {
      revoke(revoke.hash(), revoke.at());
    } else if (entry instanceof LogEntry.V1Touch touch) {
      tokens.computeIfPresent(touch.hash(), (h, t) -> t.isRevoked() ? t : new LogEntry.V1Token(
          h, t.session().touchedAt(touch.lastUsedAt(), touch.expiresAt()), null, t.binding()));
    } else if (entry instanceof LogEntry.V1Delete delete) {
      remove(delete.hash());
    } else if (entry instanceof LogEntry.V1Purge purge) {
      for (LogEntry.V1Token token : List.copyOf(tokens.values())) {
        if (token.session().isExpiredAt(purge.now())) {
          remove(token.hash());
        }
      }
    } else if (entry instanceof LogEntry.V1RevokeAll all) {
      for (TokenHash hash : bySubject.getOrDefault(all.subject(), Set.of())) {
        revoke(hash, all.at());
      }
    }
  }

  /**
   * Writes the upgraded sessions and tokens into {@code into}.
   *
   * @return how many rotated tombstones the upgrade made
   */
  int convertInto(LiveIndex into) {
    Map<SessionId, List<LogEntry.V1Token>> sessions = new LinkedHashMap<>();
    for (LogEntry.V1Token token : tokens.values()) {
      sessions.computeIfAbsent(token.session().id(), id -> new ArrayList<>(2)).add(token);
    }
    int tombstones = 0;
    for (List<LogEntry.V1Token> group : sessions.values()) {
      SessionRecord session = session(group);
      List<TokenRecord> records = new ArrayList<>(group.size());
      for (LogEntry.V1Token token : group) {
        if (group.size() == 1) {
          records.add(TokenRecord.of(token.hash(), session.id()));
        } else if (token.isRevoked() && !session.isRevoked()) {
          records.add(new TokenRecord(token.hash(), session.id(), token.session().expiresAt(),
              token.revokedAt(), null));
          tombstones++;
        } else {
          records.add(TokenRecord.expiring(token.hash(), session.id(),
              token.session().expiresAt()));
        }
      }
      into.create(session, records);
    }
    return tombstones;
  }

  private static SessionRecord session(List<LogEntry.V1Token> group) {
    Session first = group.get(0).session();
    Instant created = first.createdAt();
    Instant lastUsed = first.lastUsedAt();
    Instant expires = first.expiresAt();
    Instant revokedAt = null;
    boolean allRevoked = true;
    ClientBinding binding = null;
    for (LogEntry.V1Token token : group) {
      Session s = token.session();
      created = s.createdAt().isBefore(created) ? s.createdAt() : created;
      lastUsed = s.lastUsedAt().isAfter(lastUsed) ? s.lastUsedAt() : lastUsed;
      expires = s.expiresAt().isAfter(expires) ? s.expiresAt() : expires;
      if (token.isRevoked()) {
        revokedAt = revokedAt == null || token.revokedAt().isAfter(revokedAt)
            ? token.revokedAt() : revokedAt;
      } else {
        allRevoked = false;
      }
      binding = binding == null ? token.binding() : binding;
    }
    Session session = new Session(first.id(), first.subject(), first.label(), created,
        lastUsed, expires);
    return new SessionRecord(session, binding, null, allRevoked ? revokedAt : null);
  }

  private void revoke(TokenHash hash, Instant at) {
    tokens.computeIfPresent(hash, (h, t) -> t.isRevoked() ? t
        : new LogEntry.V1Token(h, t.session(), at, t.binding()));
  }

  private void remove(TokenHash hash) {
    LogEntry.V1Token removed = tokens.remove(hash);
    if (removed != null) {
      Set<TokenHash> of = bySubject.get(removed.session().subject());
      of.remove(hash);
      if (of.isEmpty()) {
        bySubject.remove(removed.session().subject());
      }
    }
  }
}
