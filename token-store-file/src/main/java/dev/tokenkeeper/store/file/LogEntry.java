package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;

/**
 * One change to the store as written to a log or snapshot: the unit of replay. Each mirrors one
 * {@link dev.tokenkeeper.core.TokenStore} call, so replaying a log in order rebuilds the state the
 * calls left in memory. Immutable.
 */
sealed interface LogEntry {

  /** A token was issued (in a snapshot: a record carried over, possibly revoked). */
  record Save(TokenRecord record) implements LogEntry {}

  record Revoke(TokenHash hash, Instant at) implements LogEntry {}

  /** Coalesced last-use and sliding expiry; replay only ever moves them forward. */
  record Touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) implements LogEntry {}

  record Delete(TokenHash hash) implements LogEntry {}

  /** Every record expired at {@code now} was forgotten. */
  record Purge(Instant now) implements LogEntry {}

  /** Every record of {@code subject} present at this point was revoked, as one step. */
  record RevokeAll(String subject, Instant at) implements LogEntry {}

  /** Closes a snapshot; a snapshot without it is incomplete. */
  record End(long count) implements LogEntry {}
}
