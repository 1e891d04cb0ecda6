package dev.tokenkeeper.core;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Starts access/refresh pairs and renews them: the rotation state machine behind
 * {@link TokenService#issuePair} and {@link TokenService#refresh}.
 *
 * <p><b>Invariants.</b>
 *
 * <ol>
 *   <li>A session has exactly one current refresh token ({@link SessionRecord#refreshHash}).
 *       Rotation is a compare-and-set on it ({@link Rotation}), so of any number of refreshes
 *       racing with one token, one rotates and the others find it rotated.
 *   <li>A refresh never forks a session: a retry of the just-rotated token within the grace window
 *       gets the pair the rotation made, opened from the sealed successor kept beside the rotated
 *       token, never a new one.
 *   <li>A revoked session stays revoked: the compare-and-set fails on it, so a refresh racing a
 *       logout either lands before it (and its pair dies with the session) or fails.
 *   <li>A rotated token presented after the grace window, or by a client its binding refuses, is
 *       reuse: its session, only that one, is revoked. Revocation and rotation are checked before
 *       binding, so a replay from elsewhere still counts as reuse. Only the call whose revoke ends
 *       the session reports it; one racing it finds the session revoked.
 * </ol>
 *
 * <p><b>What it needs from a store:</b> {@link TokenStore#find} returning a token with its session,
 * {@link TokenStore#rotate} applied atomically, {@link TokenStore#revokeSession} final, and rotated
 * tokens kept as long as their session. A refresh always asks the store, never a cache.
 *
 * <p>Immutable and thread-safe.
 */
final class RefreshChain {

  /** Compare-and-set attempts; after a failed one the next read sees why, so two suffice. */
  private static final int ATTEMPTS = 4;

  private final TokenStore store;
  private final Clock clock;
  private final SecureRandom random;
  private final Lifetimes lifetimes;
  private final ClientBinding.Policy binding;
  private final Events events;

  RefreshChain(TokenStore store, Clock clock, SecureRandom random, Lifetimes lifetimes,
      ClientBinding.Policy binding, Events events) {
    this.store = store;
    this.clock = clock;
    this.random = random;
    this.lifetimes = lifetimes;
    this.binding = binding;
    this.events = events;
  }

  /** A new session with its first pair, stored durably. */
  IssuedPair start(String subject, String label, Client client) {
    Instant now = clock.instant();
    Session session =
        new Session(SessionId.random(random), subject, label, now, now, lifetimes.firstEnd(now));
    Minted minted = mint(session, now);
    store.create(SessionRecord.of(session, binding == null ? null : binding.bind(client),
        minted.refreshRecord.hash()), minted.records());
    events.issued(now, session, minted.accessRecord.hash(), minted.refreshRecord.hash());
    return minted.pair;
  }

  /**
   * Renews a pair, reporting a store outage as {@link SecurityEvent.StoreUnavailable} unless the
   * call has already had its one event.
   */
  RefreshResult refresh(String presented, Client client) {
    try {
      return renew(presented, client);
    } catch (ReportedOutage e) {
      throw e.outage;
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.REFRESH);
      throw e;
    }
  }

  private RefreshResult renew(String presented, Client client) {
    if (!TokenFormat.isWellFormed(presented, TokenFormat.Kind.REFRESH)) {
      return rejected(AuthResult.Reason.MALFORMED, null, null);
    }
    TokenHash hash = TokenHash.sha256(presented);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<TokenEntry> found = store.find(hash);
      if (found.isEmpty()) {
        return rejected(AuthResult.Reason.UNKNOWN, hash, null);
      }
      TokenRecord token = found.get().token();
      SessionRecord session = found.get().session();
      // Never before the session's last use: a clock stepped back must not mint a pair that
      // ends before its session began.
      Instant now = later(clock.instant(), session.session().lastUsedAt());
      if (session.isRevoked()) {
        return rejected(AuthResult.Reason.REVOKED, hash, session);
      }
      if (token.isRotated()) {
        RefreshResult result = retryOrReuse(presented, token, session, client, now);
        if (result != null) {
          return result;
        }
        // A racing call revoked the session first: read it again, and find it revoked.
        continue;
      }
      if (!now.isBefore(token.endsWith(session))) {
        return rejected(AuthResult.Reason.EXPIRED, hash, session);
      }
      if (!TokenService.bindingMatches(session, client)) {
        events.clientMismatch(SecurityEvent.Operation.REFRESH, session, hash);
        return new RefreshResult.Rejected(AuthResult.Reason.CLIENT_MISMATCH);
      }
      if (session.refreshHash() != null && !session.refreshHash().equals(hash)) {
        // Live but not current: a fork an older release left behind, which loses to the chain.
        // A store's find reads token and session as of one moment, so a rotation in flight
        // cannot show this; the few looks again only cover a store that breaks that contract.
        if (attempt < ATTEMPTS - 1) {
          continue;
        }
        return rejected(AuthResult.Reason.REVOKED, hash, session);
      }
      Minted minted = mint(session.session(), now);
      SealedSuccessor sealed = lifetimes.refreshGrace().isZero() ? null
          : SealedSuccessor.seal(presented, session.id(), hash, minted.sealable(now),
              now.plus(lifetimes.refreshGrace()), random);
      Rotation rotation = new Rotation(session.id(), session.refreshHash(), hash, now, sealed,
          minted.refreshRecord, minted.accessRecord, minted.pair.refreshExpiresAt());
      if (store.rotate(rotation)) {
        events.refreshed(now, session, hash, minted.refreshRecord.hash(), false);
        return new RefreshResult.Refreshed(minted.pair);
      }
      // Another refresh or a logout changed the session since we read it: read it again.
    }
    throw new IllegalStateException("the store refused " + ATTEMPTS + " rotations of session "
        + "without a visible change; it breaks the TokenStore contract");
  }

  /**
   * A rotated token came back: the same pair within the grace window, else reuse; {@code null}
   * if a racing call revoked the session before this one could.
   */
  private RefreshResult retryOrReuse(String presented, TokenRecord token, SessionRecord session,
      Client client, Instant now) {
    SealedSuccessor sealed = token.successor();
    if (sealed != null && now.isBefore(sealed.until())
        && TokenService.bindingMatches(session, client)) {
      Optional<SealedSuccessor.Pair> pair = sealed.open(presented, session.id(), token.hash());
      if (pair.isPresent()) {
        if (!now.isBefore(session.expiresAt())) {
          return rejected(AuthResult.Reason.EXPIRED, token.hash(), session);
        }
        IssuedPair again = rebuild(session.session(), pair.get());
        events.retried(now, session, token.hash(), again);
        return new RefreshResult.Refreshed(again);
      }
    }
    // Reported once the revoke is decided, so that of replays racing each other or a logout only
    // the call that ends the session reports a theft; the others come after it, as if in turn.
    boolean revoked;
    try {
      revoked = store.revokeSession(session.id(), now);
    } catch (StoreUnavailableException e) {
      // The theft was seen even though the store could not record it: that is this call's event.
      events.reuseDetected(now, session, token.hash());
      throw new ReportedOutage(e);
    }
    if (!revoked) {
      return null;
    }
    events.reuseDetected(now, session, token.hash());
    if (session.isLiveAt(now)) {
      // As revokeSession reports: a session that had already expired ended no live session.
      events.revoked(now, session.subject(), session.id(), RevocationCause.REUSE);
    }
    return new RefreshResult.Rejected(AuthResult.Reason.REUSED);
  }

  private Minted mint(Session session, Instant now) {
    Instant refreshEnd = lifetimes.refreshEnd(session, now);
    Instant accessEnd = lifetimes.accessEnd(now, refreshEnd);
    String refresh = TokenFormat.generate(TokenFormat.Kind.REFRESH, random);
    String access = TokenFormat.generate(TokenFormat.Kind.PAIRED_ACCESS, random);
    IssuedPair pair = new IssuedPair(
        new IssuedToken(access, TokenService.view(session, now, accessEnd)), refresh, refreshEnd);
    return new Minted(pair,
        TokenRecord.of(TokenHash.sha256(refresh), session.id()),
        TokenRecord.expiring(TokenHash.sha256(access), session.id(), accessEnd));
  }

  private static IssuedPair rebuild(Session session, SealedSuccessor.Pair pair) {
    return new IssuedPair(
        new IssuedToken(pair.access(), TokenService.view(session, pair.usedAt(), pair.accessEnd())),
        pair.refresh(), pair.refreshEnd());
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private RefreshResult rejected(AuthResult.Reason reason, TokenHash hash,
      SessionRecord session) {
    events.refused(SecurityEvent.Operation.REFRESH, reason, hash, session);
    return new RefreshResult.Rejected(reason);
  }

  /** A store outage after the call's event was reported: rethrown without another event. */
  private static final class ReportedOutage extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient StoreUnavailableException outage;

    ReportedOutage(StoreUnavailableException outage) {
      super(null, null, false, false);
      this.outage = outage;
    }
  }

  /** A freshly minted pair and the records that store it. */
  private record Minted(IssuedPair pair, TokenRecord refreshRecord, TokenRecord accessRecord) {

    List<TokenRecord> records() {
      return List.of(refreshRecord, accessRecord);
    }

    SealedSuccessor.Pair sealable(Instant now) {
      return new SealedSuccessor.Pair(pair.access().plaintext(), pair.refreshPlaintext(), now,
          pair.access().session().expiresAt(), pair.refreshExpiresAt());
    }

    @Override
    public String toString() {
      return "Minted[" + pair + "]";
    }
  }
}
