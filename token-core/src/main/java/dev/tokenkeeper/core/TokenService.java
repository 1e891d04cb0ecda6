package dev.tokenkeeper.core;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
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

  /** The default absolute lifetime of a token: 7 days. */
  public static final Duration DEFAULT_ABSOLUTE_TTL = Duration.ofDays(7);

  private final TokenStore store;
  private final Clock clock;
  private final SecureRandom random;
  private final Duration absoluteTtl;
  private final Duration idleTimeout;

  private TokenService(Builder builder) {
    this.store = builder.store;
    this.clock = builder.clock;
    this.random = builder.random;
    this.absoluteTtl = builder.absoluteTtl;
    this.idleTimeout = builder.idleTimeout;
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
    Objects.requireNonNull(subject, "subject");
    Instant now = clock.instant();
    Instant expiresAt = now.plus(idleTimeout == null ? absoluteTtl : idleTimeout);
    Session session =
        new Session(SessionId.random(random), subject, cleanLabel(label), now, now, expiresAt);
    String secret = TokenFormat.generate(random);
    store.save(TokenRecord.of(TokenHash.sha256(secret), session));
    return new IssuedToken(secret, session);
  }

  /**
   * Checks a presented token. A malformed token is refused without a store lookup; an expired one
   * is forgotten as it is seen; a good one has its use recorded (and, with an idle timeout, its
   * expiry extended).
   *
   * @param presented the token as the client sent it; {@code null} is refused as malformed
   * @return {@link AuthResult.Authenticated} with the session, or {@link AuthResult.Rejected}
   * @throws StoreUnavailableException if the store cannot be read
   */
  public AuthResult authenticate(String presented) {
    if (!TokenFormat.isWellFormed(presented)) {
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
    Instant expiresAt = slidExpiry(record.session(), now);
    store.touch(hash, now, expiresAt);
    return new AuthResult.Authenticated(record.session().touchedAt(now, expiresAt));
  }

  /**
   * Revokes the presented token (logout). A malformed token is ignored without a store lookup.
   *
   * @return whether a live token was revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public boolean revoke(String presented) {
    if (!TokenFormat.isWellFormed(presented)) {
      return false;
    }
    return store.revoke(TokenHash.sha256(presented), clock.instant());
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
    for (TokenRecord record : store.findBySubject(subject)) {
      if (record.session().id().equals(id) && record.isLiveAt(now)) {
        return store.revoke(record.hash(), now);
      }
    }
    return false;
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
    return store.findBySubject(subject).stream()
        .filter(record -> record.isLiveAt(now))
        .map(TokenRecord::session)
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
    Instant idleEnd = now.plus(idleTimeout);
    Instant hardEnd = session.createdAt().plus(absoluteTtl);
    return idleEnd.isBefore(hardEnd) ? idleEnd : hardEnd;
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
