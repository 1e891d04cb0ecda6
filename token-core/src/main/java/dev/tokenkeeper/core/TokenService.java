package dev.tokenkeeper.core;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Issues, authenticates and revokes opaque bearer tokens kept in a {@link TokenStore}.
 *
 * <pre>{@code
 * TokenService tokens = TokenService.builder()
 *     .store(store)                         // required
 *     .absoluteTtl(Duration.ofDays(7))      // the default
 *     .idleTimeout(Duration.ofHours(12))    // optional sliding expiry
 *     .build();
 * IssuedToken issued = tokens.issue("alice@example.com", "Firefox on Linux");
 * send(issued.plaintext());                 // once; never log or store it
 * AuthResult result = tokens.authenticate(presented);
 * }</pre>
 *
 * <p><b>Secrets.</b> A token is {@code tk_}, 256 bits from {@link SecureRandom} in base64url, and a
 * CRC32 checksum. Only its SHA-256 {@link TokenHash} reaches the store; a token that fails the
 * format or checksum is refused without touching the store. The plaintext leaves only through
 * {@link IssuedToken#plaintext()}.
 *
 * <p><b>Expiry.</b> Every token ends {@code absoluteTtl} after issue. With an idle timeout it also
 * ends {@code idleTimeout} after its last use, and each use extends it, never past the absolute
 * lifetime. Time comes from the injected {@link Clock} only.
 *
 * <p>Immutable and thread-safe; share one. Calls block only as long as the store does, and throw
 * what it throws ({@link StoreUnavailableException} when it cannot serve).
 */
public final class TokenService {

  /** The default absolute lifetime of a token (or of a session renewed by refresh): 7 days. */
  public static final Duration DEFAULT_ABSOLUTE_TTL = Duration.ofDays(7);

  /** The default lifetime of an access token issued in a pair: 15 minutes. */
  public static final Duration DEFAULT_ACCESS_TTL = Duration.ofMinutes(15);

  /** The default grace window for retrying a just-rotated refresh token: 10 seconds. */
  public static final Duration DEFAULT_REFRESH_GRACE = Duration.ofSeconds(10);

  /** Uses closer together than this are recorded once. */
  private static final Duration TOUCH_GRANULARITY = Duration.ofSeconds(1);

  private final TokenStore store;
  private final Clock clock;
  private final SecureRandom random;
  private final Duration absoluteTtl;
  private final Duration idleTimeout;
  private final Duration accessTtl;
  /** What the builder was given, or {@code null} for the default: carried by toBuilder(). */
  private final Duration accessTtlSetting;
  private final Duration refreshGrace;
  private final ClientBinding.Policy binding;
  private final boolean acceptLegacy;

  private TokenService(Builder builder) {
    this.store = builder.store;
    this.clock = builder.clock;
    this.random = builder.random;
    this.absoluteTtl = builder.absoluteTtl;
    this.idleTimeout = builder.idleTimeout;
    this.accessTtlSetting = builder.accessTtl;
    this.accessTtl = builder.accessTtl != null ? builder.accessTtl
        : shorter(DEFAULT_ACCESS_TTL, builder.absoluteTtl);
    this.refreshGrace = builder.refreshGrace;
    this.binding = builder.binding;
    this.acceptLegacy = builder.acceptLegacy;
  }

  /** A builder with the defaults stated on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this service's settings, to derive a variant. */
  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.store = store;
    builder.clock = clock;
    builder.random = random;
    builder.absoluteTtl = absoluteTtl;
    builder.idleTimeout = idleTimeout;
    builder.accessTtl = accessTtlSetting;
    builder.refreshGrace = refreshGrace;
    builder.binding = binding;
    builder.acceptLegacy = acceptLegacy;
    return builder;
  }

  /** Issues a token for {@code subject} with no device label. See {@link #issue(String, String)}. */
  public IssuedToken issue(String subject) {
    return issue(subject, null);
  }

  /**
   * Issues a new token, stored durably before this returns.
   *
   * @param subject the user, 1 to 256 characters without control characters
   * @param label a device or user-agent description, or {@code null}; control characters become
   *     spaces and it is cut to 256 characters, since it usually comes from a request header
   * @return the secret (to send once) and its session
   * @throws IllegalArgumentException if {@code subject} is blank, too long or has control characters
   * @throws StoreUnavailableException if the store could not keep the token durably
   */
  public IssuedToken issue(String subject, String label) {
    return issue(subject, label, Client.UNKNOWN);
  }

  /**
   * Issues a new token as {@link #issue(String, String)} does, bound to {@code client} when client
   * binding is on.
   */
  public IssuedToken issue(String subject, String label, Client client) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(client, "client");
    Instant now = clock.instant();
    Instant expiresAt = now.plus(idleTimeout == null ? absoluteTtl : idleTimeout);
    Session session =
        new Session(SessionId.random(random), subject, cleanLabel(label), now, now, expiresAt);
    return save(TokenFormat.Kind.ACCESS, session, client);
  }

  /**
   * Issues a short-lived access token and a refresh token for one new session (one device), both
   * stored durably before this returns. The access token lives {@code accessTtl}; the refresh
   * token renews the pair with {@link #refresh} until the session's absolute lifetime (or its
   * idle timeout, if unused that long) ends.
   *
   * @throws IllegalArgumentException if {@code subject} is blank, too long or has control characters
   * @throws StoreUnavailableException if the store could not keep the tokens durably
   */
  public IssuedPair issuePair(String subject, String label, Client client) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(client, "client");
    Instant now = clock.instant();
    Session started = new Session(SessionId.random(random), subject, cleanLabel(label), now, now,
        now.plus(idleTimeout == null ? absoluteTtl : idleTimeout));
    return savePair(started, now, client);
  }

  /**
   * Renews a pair: checks the refresh token, issues a new access and refresh token for the same
   * session, and rotates the old refresh token out.
   *
   * <p>Presenting a rotated refresh token again within {@code refreshGrace} of its rotation (two
   * tabs refreshing at once, a lost response) gets another new pair for the same session. After
   * the grace window it is treated as theft: that session, and only that session, is revoked, and
   * the result is {@link AuthResult.Reason#REUSED}.
   *
   * @param presented the refresh token as the client sent it; {@code null} is malformed
   * @param client the caller, checked against the token's binding when binding is on
   * @throws StoreUnavailableException if the store cannot be read or written
   */
  public RefreshResult refresh(String presented, Client client) {
    Objects.requireNonNull(client, "client");
    if (!TokenFormat.isWellFormed(presented, TokenFormat.Kind.REFRESH)) {
      return new RefreshResult.Rejected(AuthResult.Reason.MALFORMED);
    }
    TokenHash hash = TokenHash.sha256(presented);
    Optional<TokenRecord> found = store.find(hash);
    if (found.isEmpty()) {
      return new RefreshResult.Rejected(AuthResult.Reason.UNKNOWN);
    }
    TokenRecord record = found.get();
    Instant now = clock.instant();
    if (!bindingMatches(record, client)) {
      return new RefreshResult.Rejected(AuthResult.Reason.CLIENT_MISMATCH);
    }
    if (record.isRevoked()) {
      return refreshRotated(record, now, client);
    }
    if (record.session().isExpiredAt(now)) {
      store.delete(hash);
      return new RefreshResult.Rejected(AuthResult.Reason.EXPIRED);
    }
    // The successor is stored before the old token is rotated out, so a concurrent retry that
    // finds the old token rotated always finds a live successor too (see refreshRotated).
    IssuedPair pair = savePair(record.session(), now, client);
    if (!store.revoke(hash, now) && !otherTokenLive(record.session(), pair, now)) {
      // Someone revoked the old token between our lookup and now, and nothing else of the
      // session is live: it was a logout, not a parallel refresh. The logout wins.
      store.revoke(TokenHash.sha256(pair.refreshPlaintext()), now);
      store.revoke(TokenHash.sha256(pair.access().plaintext()), now);
      return new RefreshResult.Rejected(AuthResult.Reason.REVOKED);
    }
    return new RefreshResult.Refreshed(pair);
  }

  /** Whether a token of {@code session} other than those of {@code pair} is live. */
  private boolean otherTokenLive(Session session, IssuedPair pair, Instant now) {
    TokenHash refresh = TokenHash.sha256(pair.refreshPlaintext());
    TokenHash access = TokenHash.sha256(pair.access().plaintext());
    return store.findBySubject(session.subject()).stream()
        .anyMatch(r -> r.session().id().equals(session.id()) && r.isLiveAt(now)
            && !r.hash().equals(refresh) && !r.hash().equals(access));
  }

  /** A rotated (or revoked) refresh token came back: a retry in grace, a theft, or a dead session. */
  private RefreshResult refreshRotated(TokenRecord record, Instant now, Client client) {
    SessionId id = record.session().id();
    String subject = record.session().subject();
    boolean sessionLive = store.findBySubject(subject).stream()
        .anyMatch(r -> r.session().id().equals(id) && r.isLiveAt(now));
    if (!sessionLive) {
      return new RefreshResult.Rejected(AuthResult.Reason.REVOKED);
    }
    if (now.isBefore(record.revokedAt().plus(refreshGrace))) {
      return new RefreshResult.Refreshed(savePair(record.session(), now, client));
    }
    revokeSession(subject, id);
    return new RefreshResult.Rejected(AuthResult.Reason.REUSED);
  }

  private IssuedPair savePair(Session session, Instant now, Client client) {
    Instant hardEnd = session.createdAt().plus(absoluteTtl);
    Instant refreshEnd = earlier(now.plus(idleTimeout == null ? absoluteTtl : idleTimeout),
        hardEnd);
    Instant accessEnd = earlier(now.plus(accessTtl), refreshEnd);
    Session refreshSession = new Session(session.id(), session.subject(), session.label(),
        session.createdAt(), now, refreshEnd);
    Session accessSession = new Session(session.id(), session.subject(), session.label(),
        session.createdAt(), now, accessEnd);
    IssuedToken refresh = save(TokenFormat.Kind.REFRESH, refreshSession, client);
    IssuedToken access = save(TokenFormat.Kind.PAIRED_ACCESS, accessSession, client);
    return new IssuedPair(access, refresh.plaintext(), refreshEnd);
  }

  private IssuedToken save(TokenFormat.Kind kind, Session session, Client client) {
    String secret = TokenFormat.generate(kind, random);
    ClientBinding bound = binding == null ? null : binding.bind(client);
    store.save(new TokenRecord(TokenHash.sha256(secret), session, null, bound));
    return new IssuedToken(secret, session);
  }

  private static boolean bindingMatches(TokenRecord record, Client client) {
    // A token bound under a policy since changed or switched off still holds to its binding.
    return record.binding() == null || record.binding().matches(client);
  }

  /**
   * Checks a presented token. A malformed token is refused without a store lookup; an expired one
   * is forgotten as it is seen; a good one has its use recorded (and, with an idle timeout, its
   * expiry extended), at most once a second per token.
   *
   * @param presented the token as the client sent it; {@code null} is refused as malformed
   * @return {@link AuthResult.Authenticated} with the session, or {@link AuthResult.Rejected}
   * @throws StoreUnavailableException if the store cannot be read
   */
  public AuthResult authenticate(String presented) {
    return authenticate(presented, Client.UNKNOWN);
  }

  /**
   * Checks a presented access token as {@link #authenticate(String)} does, and, for a token bound
   * to its client, that {@code client} matches ({@link AuthResult.Reason#CLIENT_MISMATCH} if not).
   */
  public AuthResult authenticate(String presented, Client client) {
    Objects.requireNonNull(client, "client");
    boolean single = TokenFormat.isWellFormed(presented, TokenFormat.Kind.ACCESS)
        || (acceptLegacy && TokenFormat.isLegacy(presented));
    if (!single && !TokenFormat.isWellFormed(presented, TokenFormat.Kind.PAIRED_ACCESS)) {
      return new AuthResult.Rejected(AuthResult.Reason.MALFORMED);
    }
    TokenHash hash = TokenHash.sha256(presented);
    Optional<TokenRecord> found = store.find(hash);
    if (found.isEmpty()) {
      return new AuthResult.Rejected(AuthResult.Reason.UNKNOWN);
    }
    TokenRecord record = found.get();
    if (record.isRevoked()) {
      return new AuthResult.Rejected(AuthResult.Reason.REVOKED);
    }
    Instant now = clock.instant();
    if (record.session().isExpiredAt(now)) {
      store.delete(hash);
      return new AuthResult.Rejected(AuthResult.Reason.EXPIRED);
    }
    if (!bindingMatches(record, client)) {
      return new AuthResult.Rejected(AuthResult.Reason.CLIENT_MISMATCH);
    }
    Session session = record.session();
    if (now.isBefore(session.lastUsedAt().plus(TOUCH_GRANULARITY))) {
      // Used within the last second: recording it again would change nothing worth a write and
      // cost the hot path a copy; expiry then slides at one-second granularity.
      return new AuthResult.Authenticated(session);
    }
    // A paired access token keeps its short, fixed life; the pair is renewed by refresh instead.
    Instant expiresAt = single ? slidExpiry(session, now) : session.expiresAt();
    store.touch(hash, now, expiresAt);
    return new AuthResult.Authenticated(session.touchedAt(now, expiresAt));
  }

  /**
   * Logs out the device the presented token belongs to: revokes it and every other token of its
   * session (for a pair, the access and the refresh token alike, so neither outlives the logout).
   * A malformed token is ignored without a store lookup.
   *
   * @return whether a live token was revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public boolean revoke(String presented) {
    if (!TokenFormat.isWellFormed(presented, TokenFormat.Kind.ACCESS)
        && !TokenFormat.isWellFormed(presented, TokenFormat.Kind.PAIRED_ACCESS)
        && !TokenFormat.isWellFormed(presented, TokenFormat.Kind.REFRESH)
        && !(acceptLegacy && TokenFormat.isLegacy(presented))) {
      return false;
    }
    Optional<TokenRecord> found = store.find(TokenHash.sha256(presented));
    return found.isPresent()
        && revokeSession(found.get().session().subject(), found.get().session().id());
  }

  /**
   * Revokes one of {@code subject}'s sessions by its public id (remove a device). A session of
   * another subject is left alone, as if it did not exist.
   *
   * @return whether a live session of {@code subject} was revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public boolean revokeSession(String subject, SessionId id) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(id, "id");
    Instant now = clock.instant();
    boolean revoked = false;
    // A session may hold several tokens (an access token and its refresh token): end them all.
    for (TokenRecord record : store.findBySubject(subject)) {
      if (record.session().id().equals(id) && record.isLiveAt(now)) {
        revoked |= store.revoke(record.hash(), now);
      }
    }
    return revoked;
  }

  /**
   * Revokes every session of {@code subject} (logout everywhere).
   *
   * @return how many sessions were revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public int revokeAll(String subject) {
    Objects.requireNonNull(subject, "subject");
    return store.revokeAll(subject, clock.instant());
  }

  /**
   * The live sessions of {@code subject}, oldest first.
   *
   * @throws StoreUnavailableException if the store cannot be read
   */
  public List<Session> sessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    Instant now = clock.instant();
    // One entry per session id: a session with a pair has two tokens; show the latest use and
    // the furthest expiry among its live ones.
    Map<SessionId, Session> byId = new HashMap<>();
    for (TokenRecord record : store.findBySubject(subject)) {
      if (record.isLiveAt(now)) {
        Session session = record.session();
        byId.merge(session.id(), session,
            (a, b) -> a.touchedAt(b.lastUsedAt(), b.expiresAt()));
      }
    }
    return byId.values().stream()
        .sorted(Comparator.comparing(Session::createdAt).thenComparing(s -> s.id().value()))
        .toList();
  }

  /**
   * Forgets every expired token now. Callers run it from time to time; stores with their own
   * expiry (compaction, TTLs) need it less.
   *
   * @return how many records were removed
   */
  public int purgeExpired() {
    return store.purgeExpired(clock.instant());
  }

  /** The absolute lifetime of every token. */
  public Duration absoluteTtl() {
    return absoluteTtl;
  }

  /** The idle timeout, if sliding expiry is on. */
  public Optional<Duration> idleTimeout() {
    return Optional.ofNullable(idleTimeout);
  }

  private Instant slidExpiry(Session session, Instant now) {
    if (idleTimeout == null) {
      return session.expiresAt();
    }
    return earlier(now.plus(idleTimeout), session.createdAt().plus(absoluteTtl));
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Duration shorter(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String cleanLabel(String label) {
    if (label == null) {
      return null;
    }
    StringBuilder clean = new StringBuilder(Math.min(label.length(), Session.MAX_TEXT_LENGTH));
    for (int i = 0; i < label.length() && clean.length() < Session.MAX_TEXT_LENGTH; i++) {
      char c = label.charAt(i);
      clean.append(Character.isISOControl(c) ? ' ' : c);
    }
    String trimmed = clean.toString().strip();
    return trimmed.isEmpty() ? null : trimmed;
  }

  /**
   * Builds a {@link TokenService}. Each option may be set once; {@link #build()} checks the rules
   * that span options. Not thread-safe.
   */
  public static final class Builder {

    private TokenStore store;
    private Clock clock;
    private SecureRandom random;
    private Duration absoluteTtl;
    private Duration idleTimeout;
    private Duration accessTtl;
    private Duration refreshGrace;
    private ClientBinding.Policy binding;
    private boolean acceptLegacy;
    /** Options set on this builder; ones copied by {@link #toBuilder()} may be set once more. */
    private final Set<String> set = new HashSet<>();

    private Builder() {}

    /** The store to keep tokens in. Required. */
    public Builder store(TokenStore store) {
      requireUnset("store");
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The source of time. Default: {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      requireUnset("clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The source of token and session-id bits. Default: a new {@link SecureRandom}. */
    public Builder secureRandom(SecureRandom random) {
      requireUnset("secureRandom");
      this.random = Objects.requireNonNull(random, "secureRandom");
      return this;
    }

    /**
     * How long a token lives after issue, whatever its use. Default: 7 days.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder absoluteTtl(Duration ttl) {
      requireUnset("absoluteTtl");
      this.absoluteTtl = requirePositive(ttl, "absoluteTtl");
      return this;
    }

    /**
     * Turns on sliding expiry: a token unused this long ends, and each use extends it (never past
     * the absolute lifetime). Default: off.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder idleTimeout(Duration timeout) {
      requireUnset("idleTimeout");
      this.idleTimeout = requirePositive(timeout, "idleTimeout");
      return this;
    }

    /**
     * How long the access token of a pair ({@link TokenService#issuePair}) lives; the client then
     * refreshes. Default: 15 minutes. Tokens issued alone are not affected.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder accessTtl(Duration ttl) {
      requireUnset("accessTtl");
      this.accessTtl = requirePositive(ttl, "accessTtl");
      return this;
    }

    /**
     * How long after its rotation a refresh token may still be presented and get a fresh pair
     * (two tabs refreshing at once, a response lost on the way). Past it, a rotated token is
     * treated as stolen and its session is revoked. Default: 10 seconds; zero allows no retry.
     *
     * @throws IllegalArgumentException if negative or over 5 minutes
     */
    public Builder refreshGrace(Duration grace) {
      requireUnset("refreshGrace");
      Objects.requireNonNull(grace, "refreshGrace");
      if (grace.isNegative() || grace.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("refreshGrace must be 0 to 5 minutes: " + grace);
      }
      this.refreshGrace = grace;
      return this;
    }

    /**
     * Binds each token at issue to its client's network and/or user agent; a token presented by
     * another client is refused ({@link AuthResult.Reason#CLIENT_MISMATCH}). Default: off, because
     * mobile clients change networks and proxies change addresses: turn it on only where clients
     * keep a stable address, and have the web adapter read the address from trusted proxies only.
     */
    public Builder clientBinding(ClientBinding.Policy policy) {
      requireUnset("clientBinding");
      this.binding = Objects.requireNonNull(policy, "clientBinding");
      return this;
    }

    /**
     * Also accepts the origin system's tokens (43 base64url characters, no prefix or checksum)
     * that {@code FileTokenStore}'s legacy import stored by hash, so their users stay logged in
     * until those tokens expire. They skip the checksum check, so a made-up token of that shape
     * costs a store lookup. New tokens are never issued in that form. Default: off.
     */
    public Builder acceptLegacyTokens() {
      requireUnset("acceptLegacyTokens");
      this.acceptLegacy = true;
      return this;
    }

    /**
     * The service.
     *
     * @throws IllegalStateException if no store was given, or the idle timeout exceeds the
     *     absolute lifetime
     */
    public TokenService build() {
      if (store == null) {
        throw new IllegalStateException("store is required");
      }
      if (clock == null) {
        clock = Clock.systemUTC();
      }
      if (random == null) {
        random = new SecureRandom();
      }
      if (absoluteTtl == null) {
        absoluteTtl = DEFAULT_ABSOLUTE_TTL;
      }
      if (refreshGrace == null) {
        refreshGrace = DEFAULT_REFRESH_GRACE;
      }
      if (accessTtl != null && accessTtl.compareTo(absoluteTtl) > 0) {
        throw new IllegalStateException(
            "accessTtl " + accessTtl + " exceeds absoluteTtl " + absoluteTtl);
      }
      if (idleTimeout != null && idleTimeout.compareTo(absoluteTtl) > 0) {
        throw new IllegalStateException(
            "idleTimeout " + idleTimeout + " exceeds absoluteTtl " + absoluteTtl);
      }
      return new TokenService(this);
    }

    private static Duration requirePositive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private void requireUnset(String name) {
      if (!set.add(name)) {
        throw new IllegalStateException(name + " was already set");
      }
    }
  }
}
