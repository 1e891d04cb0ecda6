package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The one seam every persistence adapter implements: it keeps {@link SessionRecord}s and the
 * {@link TokenRecord}s that reference them. It never sees a secret. {@link TokenService} is its
 * only intended caller; the rules of expiry, revocation, use and rotation live in token-core (on
 * the records and in {@link Rotation}), and a store applies them inside its own atomic steps,
 * persists and indexes.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Thread-safety.</b> Every method may be called from many threads at once. Each call is
 *       atomic with respect to the others on the same session: a {@link #revokeSession} racing a
 *       {@link #touch} or a {@link #rotate} leaves the session revoked, and a rotation that lands
 *       after a revoke fails.
 *   <li><b>Revocation is final.</b> Once {@link #revokeSession} or {@link #revokeAll} has returned,
 *       the session stays revoked, across restarts, compaction and crashes, until it is purged
 *       at its expiry; no call makes it live again and {@link #rotate} on it fails.
 *   <li><b>Tombstones.</b> A rotated token and the tokens of a revoked session stay findable as
 *       long as their session is, so reuse is never mistaken for an unknown token. A store may
 *       drop a sealed successor once its {@code until} has passed.
 *   <li><b>Durability.</b> When {@link #create}, {@link #rotate}, {@link #revokeSession} or
 *       {@link #revokeAll} returns, its effect survives a crash of the process, unless the store
 *       documents a weaker mode the user chose; a revoke is never weaker than an issue.
 *       {@link #touch} may be persisted lazily (coalesced): losing one can only make a session
 *       look older or end sooner. An acknowledged revoke is never undone.
 *   <li><b>Speed.</b> {@link #find} is on every request's path and should not touch a disk.
 *   <li><b>Failure.</b> An environment failure throws {@link StoreUnavailableException} (or
 *       {@link StoreCorruptedException} on open) and acknowledges nothing. A store that cannot
 *       guarantee its durability contract any more refuses writes rather than pretend.
 *   <li><b>Time.</b> A store does not decide expiry by its own clock: instants are passed in.
 *   <li><b>Lifecycle.</b> {@link #close()} flushes pending lazy writes and releases resources;
 *       any call after it throws {@link IllegalStateException}. Closing twice is harmless.
 * </ul>
 *
 * <p>{@code TokenStoreContract} and {@code SessionRaceContract} in token-core's test-jar are the
 * executable form of this contract; every implementation runs them.
 */
public interface TokenStore extends AutoCloseable {

  /**
   * Stores a new session with its first tokens, as one atomic step.
   *
   * @throws IllegalArgumentException if the session id or a token hash is already stored, or a
   *     token belongs to another session
   * @throws StoreUnavailableException if it could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  void create(SessionRecord session, List<TokenRecord> tokens);

  /**
   * The token stored under {@code hash} with its session, rotated or not, revoked, expired or
   * not, until its session is purged. The two are read as of one moment: never a token from
   * before a rotation with its session from after it, nor a rotation's new token before the
   * session names it current.
   *
   * @throws StoreUnavailableException if the store cannot be read
   * @throws IllegalStateException if the store is closed
   */
  Optional<TokenEntry> find(TokenHash hash);

  /**
   * The session stored under {@code id}, revoked or expired or not, until it is purged.
   *
   * @throws StoreUnavailableException if the store cannot be read
   * @throws IllegalStateException if the store is closed
   */
  Optional<SessionRecord> findSession(SessionId id);

  /**
   * Every session of {@code subject} still stored (live, revoked or expired), in no set order.
   *
   * @throws StoreUnavailableException if the store cannot be read
   * @throws IllegalStateException if the store is closed
   */
  List<SessionRecord> findSessions(String subject);

  /**
   * Applies {@code rotation} if it still applies ({@link Rotation#appliesTo}), as one atomic step.
   *
   * @return whether it was applied; false if the session or token is gone, the session is
   *     revoked, or another rotation got there first
   * @throws IllegalArgumentException if a new token's hash is already stored
   * @throws StoreUnavailableException if the rotation could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  boolean rotate(Rotation rotation);

  /**
   * Revokes the session {@code id} at {@code at} ({@link SessionRecord#revokedAt}), ending every
   * token of it. One durable write.
   *
   * @return whether a session that was not yet revoked was found
   * @throws StoreUnavailableException if the revocation could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  boolean revokeSession(SessionId id, Instant at);

  /**
   * Revokes, as one atomic step, every session of {@code subject} stored when the call begins.
   *
   * @return how many sessions live at {@code at} were revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  int revokeAll(String subject, Instant at);

  /**
   * Records a use of session {@code id} ({@link SessionRecord#touchedAt}): last use and expiry
   * only move forward; a revoked or missing session is left as it is. May be persisted lazily.
   *
   * @throws IllegalStateException if the store is closed
   */
  void touch(SessionId id, Instant lastUsedAt, Instant expiresAt);

  /**
   * Forgets every session purgeable at {@code now} ({@link SessionRecord#isPurgeableAt}) with all
   * its tokens, and may drop sealed successors whose grace window has passed.
   *
   * @return how many sessions were removed
   * @throws StoreUnavailableException if the store could not be written
   * @throws IllegalStateException if the store is closed
   */
  int purgeExpired(Instant now);

  /**
   * Flushes lazy writes, stops background work and releases resources (files, locks,
   * connections). Idempotent.
   *
   * @throws StoreUnavailableException if pending writes could not be flushed
   */
  @Override
  void close();
}
