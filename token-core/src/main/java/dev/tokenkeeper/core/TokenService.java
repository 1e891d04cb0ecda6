package dev.tokenkeeper.core;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Arrays;
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
 * <p><b>Events.</b> Each call reports what it did or refused to the
 * {@link Builder#eventListeners listeners} as a {@link SecurityEvent}, from a bounded queue on a
 * thread of its own (or on the calling thread for a listener that
 * {@linkplain SecurityEventListener#deliverInline asks to}): a listener that blocks or fails never
 * delays or fails a call; when the queue is full an event is dropped and
 * {@linkplain #droppedEvents counted} rather than waited for.
 *
 * <p>Thread-safe, its settings fixed; share one. Calls block only as long as the store (and the
 * inline listeners) do, and throw what the store throws ({@link StoreUnavailableException} when it
 * cannot serve).
 */
public final class TokenService {

  /** The default absolute lifetime of a token (or of a session renewed by refresh): 7 days. */
  public static final Duration DEFAULT_ABSOLUTE_TTL = Duration.ofDays(7);

  /** The default lifetime of an access token issued in a pair: 15 minutes. */
  public static final Duration DEFAULT_ACCESS_TTL = Duration.ofMinutes(15);

  /** The default grace window for retrying a just-rotated refresh token: 10 seconds. */
  public static final Duration DEFAULT_REFRESH_GRACE = Duration.ofSeconds(10);

  /** The default number of events that may wait for the queued listeners: 8192. */
  public static final int DEFAULT_EVENT_QUEUE_CAPACITY = 8192;

  /** The longest lifetime any setting accepts: ten years (no instant arithmetic can overflow). */
  static final Duration MAX_LIFETIME = Duration.ofDays(3650);

  /** Uses closer together than this are recorded once. */
  private static final Duration TOUCH_GRANULARITY = Duration.ofSeconds(1);

  private final TokenStore store;
  private final Clock clock;
  private final SecureRandom random;
  private final Lifetimes lifetimes;
  /** What the builder was given, or {@code null} for the default: carried by toBuilder(). */
  private final Duration accessTtlSetting;
  private final ClientBinding.Policy binding;
  private final boolean acceptLegacy;
  private final RefreshChain chain;
  private final Events events;

  private TokenService(Builder builder) {
    this.store = builder.store;
    this.clock = builder.clock;
    this.random = builder.random;
    this.accessTtlSetting = builder.accessTtl;
    this.lifetimes = new Lifetimes(builder.absoluteTtl, builder.idleTimeout,
        builder.accessTtl != null ? builder.accessTtl
            : shorter(DEFAULT_ACCESS_TTL, builder.absoluteTtl),
        builder.refreshGrace);
    this.binding = builder.binding;
    this.acceptLegacy = builder.acceptLegacy;
    this.events = new Events(builder.listeners, builder.eventQueueCapacity, clock);
    this.chain = new RefreshChain(store, clock, random, lifetimes, binding, events);
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
    builder.absoluteTtl = lifetimes.absoluteTtl();
    builder.idleTimeout = lifetimes.idleTimeout();
    builder.accessTtl = accessTtlSetting;
    builder.refreshGrace = lifetimes.refreshGrace();
    builder.binding = binding;
    builder.acceptLegacy = acceptLegacy;
    builder.listeners = events.listeners();
    builder.eventQueueCapacity = events.queueCapacity();
    return builder;
  }

  /** Issues a token for {@code subject} with no device label. See {@link #issue(String, String)}. */
  public IssuedToken issue(String subject) {
    return issue(subject, null);
  }

  /**
   * Issues a new token, stored durably before this returns. The token is its own session (one
   * device): revoking it ends the session.
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
    Session session = new Session(SessionId.random(random), subject, cleanLabel(label), now, now,
        lifetimes.firstEnd(now));
    String secret = TokenFormat.generate(TokenFormat.Kind.ACCESS, random);
    TokenHash hash = TokenHash.sha256(secret);
    try {
      store.create(SessionRecord.of(session, binding == null ? null : binding.bind(client), null),
          List.of(TokenRecord.of(hash, session.id())));
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.ISSUE);
      throw e;
    }
    events.issued(now, session, hash, null);
    return new IssuedToken(secret, session);
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
    try {
      return chain.start(subject, cleanLabel(label), client);
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.ISSUE);
      throw e;
    }
  }

  /**
   * Renews a pair: checks the refresh token, issues a new access and refresh token for the same
   * session, and rotates the old refresh token out. A session has one live refresh token at any
   * moment; of several refreshes racing with it, one rotates it.
   *
   * <p>Presenting a rotated refresh token again within {@code refreshGrace} of its rotation (two
   * tabs refreshing at once, a lost response) gets the very pair that rotation issued, never a
   * new one. After the grace window, or from a client its binding refuses, it is treated as
   * theft: that session, and only that session, is revoked, and the result is
   * {@link AuthResult.Reason#REUSED}. A refresh racing a logout either lands first (and its pair
   * dies with the session) or is refused.
   *
   * @param presented the refresh token as the client sent it; {@code null} is malformed
   * @param client the caller, checked against the session's binding when binding is on
   * @throws StoreUnavailableException if the store cannot be read or written
   */
  public RefreshResult refresh(String presented, Client client) {
    Objects.requireNonNull(client, "client");
    return chain.refresh(presented, client);
  }

  /** Whether {@code client} may use a token of {@code session}. */
  static boolean bindingMatches(SessionRecord session, Client client) {
    // A session bound under a policy since changed or switched off still holds to its binding.
    return session.binding() == null || session.binding().matches(client);
  }

  /** {@code session} as a token of it shows it: used at {@code usedAt}, ending at {@code end}. */
  static Session view(Session session, Instant usedAt, Instant end) {
    Instant lastUsed = usedAt.isAfter(session.lastUsedAt()) ? usedAt : session.lastUsedAt();
    if (lastUsed == session.lastUsedAt() && end.equals(session.expiresAt())) {
      return session; // the common case on the request path: no copy to make
    }
    return new Session(session.id(), session.subject(), session.label(), session.createdAt(),
        lastUsed, end);
  }

  /**
   * Checks a presented token. A malformed token is refused without a store lookup; a good one has
   * its use recorded (and, with an idle timeout, its expiry extended), at most once a second per
   * session.
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
   * The session it returns ends when this token stops working.
   */
  public AuthResult authenticate(String presented, Client client) {
    Objects.requireNonNull(client, "client");
    try {
      return check(presented, client);
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.AUTHENTICATE);
      throw e;
    }
  }

  private AuthResult check(String presented, Client client) {
    byte[] bytes = TokenFormat.bytesOf(presented);
    boolean single = TokenFormat.isWellFormed(bytes, TokenFormat.Kind.ACCESS)
        || (acceptLegacy && TokenFormat.isLegacy(presented));
    if (!single && !TokenFormat.isWellFormed(bytes, TokenFormat.Kind.PAIRED_ACCESS)) {
      return refused(AuthResult.Reason.MALFORMED, null, null);
    }
    // Every form a check passed admits ASCII alone, so these bytes are the token's UTF-8.
    TokenHash hash = TokenHash.sha256OfAscii(bytes);
    Optional<TokenEntry> found = store.find(hash);
    if (found.isEmpty()) {
      return refused(AuthResult.Reason.UNKNOWN, hash, null);
    }
    TokenRecord token = found.get().token();
    SessionRecord record = found.get().session();
    if (record.isRevoked() || token.isRotated()) {
      return refused(AuthResult.Reason.REVOKED, hash, record);
    }
    Instant now = clock.instant();
    Instant end = token.endsWith(record);
    if (!now.isBefore(end)) {
      return refused(AuthResult.Reason.EXPIRED, hash, record);
    }
    if (!bindingMatches(record, client)) {
      events.clientMismatch(SecurityEvent.Operation.AUTHENTICATE, record, hash);
      return new AuthResult.Rejected(AuthResult.Reason.CLIENT_MISMATCH);
    }
    Session session = record.session();
    if (now.isBefore(session.lastUsedAt().plus(TOUCH_GRANULARITY))) {
      // Used within the last second: recording it again would change nothing worth a write and
      // cost the hot path a copy; expiry then slides at one-second granularity.
      Session used = view(session, session.lastUsedAt(), end);
      events.authenticated(used);
      return new AuthResult.Authenticated(used);
    }
    // A token issued alone is its session and slides with use; a pair's access token keeps its
    // short, fixed life, and its session is renewed by refresh instead.
    Instant expiresAt = single && token.expiresAt() == null
        ? lifetimes.slidEnd(session, now) : session.expiresAt();
    store.touch(session.id(), now, expiresAt);
    Instant newEnd = token.expiresAt() == null ? laterOf(end, expiresAt) : end;
    Session used = view(session, now, newEnd);
    events.authenticated(used);
    return new AuthResult.Authenticated(used);
  }

  private AuthResult refused(AuthResult.Reason reason, TokenHash hash, SessionRecord record) {
    events.refused(SecurityEvent.Operation.AUTHENTICATE, reason, hash, record);
    return new AuthResult.Rejected(reason);
  }

  /**
   * Logs out the device the presented token belongs to: revokes its session, so every token of
   * it (for a pair, the access and the refresh token alike) is refused from now on. A malformed
   * token is ignored without a store lookup.
   *
   * @return whether a live session was revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public boolean revoke(String presented) {
    if (!TokenFormat.isWellFormed(presented, TokenFormat.Kind.ACCESS)
        && !TokenFormat.isWellFormed(presented, TokenFormat.Kind.PAIRED_ACCESS)
        && !TokenFormat.isWellFormed(presented, TokenFormat.Kind.REFRESH)
        && !(acceptLegacy && TokenFormat.isLegacy(presented))) {
      return false;
    }
    Optional<TokenEntry> found;
    try {
      found = store.find(TokenHash.sha256(presented));
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.REVOKE);
      throw e;
    }
    return found.isPresent() && revokeSession(found.get().session().subject(),
        found.get().session().id(), RevocationCause.USER);
  }

  /**
   * Revokes one of {@code subject}'s sessions by its public id (remove a device): one durable
   * write, after which every token of the session is refused. A session of another subject is
   * left alone, as if it did not exist.
   *
   * @return whether a live session of {@code subject} was revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public boolean revokeSession(String subject, SessionId id) {
    return revokeSession(subject, id, RevocationCause.USER);
  }

  /**
   * Revokes one of {@code subject}'s sessions as {@link #revokeSession(String, SessionId)} does,
   * reporting {@code cause} in the {@link SecurityEvent.Revoked} event.
   */
  public boolean revokeSession(String subject, SessionId id, RevocationCause cause) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(cause, "cause");
    Instant now = clock.instant();
    boolean revoked;
    try {
      Optional<SessionRecord> found = store.findSession(id);
      if (found.isEmpty() || !found.get().subject().equals(subject)) {
        return false;
      }
      // Written even when the session looks expired: a use or a refresh computed before its
      // expiry and landing late, or a clock stepped back, must not bring it back after a logout.
      boolean wasLive = found.get().isLiveAt(now);
      revoked = store.revokeSession(id, now) && wasLive;
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.REVOKE);
      throw e;
    }
    if (revoked) {
      events.revoked(now, subject, id, cause);
    }
    return revoked;
  }

  /**
   * Revokes every session of {@code subject} (logout everywhere), as one atomic, durable step.
   *
   * @return how many live sessions were revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   */
  public int revokeAll(String subject) {
    return revokeAll(subject, RevocationCause.USER);
  }

  /**
   * Revokes every session of {@code subject} as {@link #revokeAll(String)} does, reporting
   * {@code cause} in the {@link SecurityEvent.RevokedAll} event.
   */
  public int revokeAll(String subject, RevocationCause cause) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(cause, "cause");
    Instant now = clock.instant();
    int revoked;
    try {
      revoked = store.revokeAll(subject, now);
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.REVOKE);
      throw e;
    }
    events.revokedAll(now, subject, revoked, cause);
    return revoked;
  }

  /**
   * The live sessions of {@code subject}, oldest first.
   *
   * @throws StoreUnavailableException if the store cannot be read
   */
  public List<Session> sessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    Instant now = clock.instant();
    List<SessionRecord> stored;
    try {
      stored = store.findSessions(subject);
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.SESSIONS);
      throw e;
    }
    return stored.stream()
        .filter(record -> record.isLiveAt(now))
        .map(SessionRecord::session)
        .sorted(Comparator.comparing(Session::createdAt).thenComparing(s -> s.id().value()))
        .toList();
  }

  /**
   * Forgets every expired session, with its tokens, now. Callers run it from time to time; stores
   * with their own expiry (compaction, TTLs) need it less.
   *
   * @return how many sessions were removed
   */
  public int purgeExpired() {
    try {
      return store.purgeExpired(clock.instant());
    } catch (StoreUnavailableException e) {
      events.storeUnavailable(SecurityEvent.Operation.PURGE);
      throw e;
    }
  }

  /** The absolute lifetime of every session. */
  public Duration absoluteTtl() {
    return lifetimes.absoluteTtl();
  }

  /** The idle timeout, if sliding expiry is on. */
  public Optional<Duration> idleTimeout() {
    return Optional.ofNullable(lifetimes.idleTimeout());
  }

  /**
   * Events the listeners that are not {@linkplain SecurityEventListener#deliverInline inline}
   * missed because the {@linkplain Builder#eventQueueCapacity event queue} was full, since this
   * service was built: each counted once, however many listeners missed it. Zero while they
   * keep up; expose it as a metric to see when they do not.
   */
  public long droppedEvents() {
    return events.dropped();
  }

  private static Instant laterOf(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
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
      if (Character.isHighSurrogate(c) && i + 1 < label.length()
          && Character.isLowSurrogate(label.charAt(i + 1))) {
        if (clean.length() + 2 > Session.MAX_TEXT_LENGTH) {
          break; // never cut a pair in two
        }
        clean.append(c).append(label.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        // A lone half has no UTF-8 form: stores would write it as '?' and read back another label.
        clean.append('\uFFFD');
      } else {
        clean.append(Character.isISOControl(c) ? ' ' : c);
      }
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
    private List<SecurityEventListener> listeners = List.of();
    private int eventQueueCapacity = DEFAULT_EVENT_QUEUE_CAPACITY;
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
     * Listeners to tell of every {@link SecurityEvent}, in this order: metrics, an audit log.
     * They are called from the service's event queue, on a thread of its own, so one that blocks
     * cannot delay a call; those that {@linkplain SecurityEventListener#deliverInline ask to} are
     * called on the caller's thread before each call returns instead, and must be quick (see
     * {@link SecurityEventListener}). One that throws is reported to the uncaught-exception
     * handler of the thread that called it and cannot fail the call. Default: none, and then no
     * event is made at all.
     *
     * @throws IllegalArgumentException if none is given
     */
    public Builder eventListeners(SecurityEventListener... listeners) {
      requireUnset("eventListeners");
      Objects.requireNonNull(listeners, "eventListeners");
      if (listeners.length == 0) {
        throw new IllegalArgumentException("eventListeners needs at least one listener");
      }
      for (int i = 0; i < listeners.length; i++) {
        Objects.requireNonNull(listeners[i], "eventListeners[" + i + "]");
      }
      this.listeners = List.copyOf(Arrays.asList(listeners));
      return this;
    }

    /**
     * How many events may wait for the listeners that are not
     * {@linkplain SecurityEventListener#deliverInline inline}; beyond that an event is dropped
     * for them and counted in {@link TokenService#droppedEvents()}, so a stuck listener costs
     * memory for this many events at most. Default: {@value #DEFAULT_EVENT_QUEUE_CAPACITY}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder eventQueueCapacity(int capacity) {
      requireUnset("eventQueueCapacity");
      if (capacity < 1) {
        throw new IllegalArgumentException("eventQueueCapacity must be positive: " + capacity);
      }
      this.eventQueueCapacity = capacity;
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
      if (value.compareTo(MAX_LIFETIME) > 0) {
        throw new IllegalArgumentException(
            name + " must be at most " + MAX_LIFETIME + ": " + value);
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
