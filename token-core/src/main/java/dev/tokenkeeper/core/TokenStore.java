package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The one seam every persistence adapter implements: it keeps {@link TokenRecord}s keyed by
 * {@link TokenHash}. It never sees a secret. {@link TokenService} is its only intended caller; the
 * rules of expiry and revocation live there, and a store only keeps what it is told.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Thread-safety.</b> Every method may be called from many threads at once. Each call is
 *       atomic with respect to the others on the same record: a {@link #revoke} racing a
 *       {@link #touch} always leaves the record revoked.
 *   <li><b>Durability.</b> When {@link #save}, {@link #revoke} or {@link #revokeAll} returns, its
 *       effect survives a crash of the process, unless the store documents a weaker mode the user
 *       chose; a revoke is never weaker than an issue. {@link #touch} and {@link #delete} may be
 *       persisted lazily (coalesced): losing one can only make a session look older or bring back
 *       a record that is expired anyway. An acknowledged revoke is never undone.
 *   <li><b>Speed.</b> {@link #find} is on every request's path and should not touch a disk.
 *   <li><b>Failure.</b> An environment failure throws {@link StoreUnavailableException} (or
 *       {@link StoreCorruptedException} on open) and acknowledges nothing. A store that cannot
 *       guarantee its durability contract any more refuses writes rather than pretend.
 *   <li><b>Time.</b> A store does not decide expiry by its own clock: instants are passed in.
 *   <li><b>Lifecycle.</b> {@link #close()} flushes pending lazy writes and releases resources;
 *       any call after it throws {@link IllegalStateException}. Closing twice is harmless.
 * </ul>
 *
 * <p>{@code TokenStoreContract} in token-core's test-jar is the executable form of this contract;
 * every implementation runs it.
 */
public interface TokenStore extends AutoCloseable {

  /**
   * Stores a newly issued token.
   *
   * @throws IllegalArgumentException if a record with the same hash is already stored
   * @throws StoreUnavailableException if it could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  void save(TokenRecord record);

  /**
   * The record stored under {@code hash}, revoked or not, expired or not, until it is deleted or
   * purged.
   *
   * @throws StoreUnavailableException if the store cannot be read
   * @throws IllegalStateException if the store is closed
   */
  Optional<TokenRecord> find(TokenHash hash);

  /**
   * Every record of {@code subject} still stored (live, revoked or expired), in no set order.
   *
   * @throws StoreUnavailableException if the store cannot be read
   * @throws IllegalStateException if the store is closed
   */
  List<TokenRecord> findBySubject(String subject);

  /**
   * Marks the record under {@code hash} revoked at {@code at}. The record may stay as a
   * tombstone until purged or compacted away; a revoked record is never made live again.
   *
   * @return whether a record that was not yet revoked was found
   * @throws StoreUnavailableException if the revocation could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  boolean revoke(TokenHash hash, Instant at);

  /**
   * Revokes, as one atomic step, every record of {@code subject} stored when the call begins.
   *
   * @return how many records were newly revoked
   * @throws StoreUnavailableException if the revocation could not be stored durably
   * @throws IllegalStateException if the store is closed
   */
  int revokeAll(String subject, Instant at);

  /**
   * Records a use: {@code lastUsedAt} and {@code expiresAt} move forward to the given instants,
   * never back; a revoked or missing record is left as it is. May be persisted lazily.
   *
   * @throws IllegalStateException if the store is closed
   */
  void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt);

  /**
   * Forgets the record under {@code hash} entirely (used for expired records). May be persisted
   * lazily.
   *
   * @return whether a record was removed
   * @throws IllegalStateException if the store is closed
   */
  boolean delete(TokenHash hash);

  /**
   * Forgets every record, revoked or not, whose session is expired at {@code now} (its
   * {@code expiresAt} is at or before {@code now}).
   *
   * @return how many records were removed
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
