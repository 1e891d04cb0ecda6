package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One change to the store as written to a log or snapshot: the unit of replay. Each format 2
 * entry mirrors one {@link dev.tokenkeeper.core.TokenStore} call, so replaying a log in order
 * through the same {@link LiveIndex} methods rebuilds the state the calls left in memory. The
 * {@link V1} entries are what the previous format held; they are only ever read, to upgrade a
 * store. Immutable.
 */
sealed interface LogEntry {

  /** A session was created with its first tokens, as one step. */
  record Create(SessionRecord session, List<TokenRecord> tokens) implements LogEntry {
    public Create {
      tokens = List.copyOf(tokens);
    }
  }

  /** A refresh applied: the whole compare-and-set, replayed through the same check. */
  record Rotate(Rotation rotation) implements LogEntry {}

  record RevokeSession(SessionId id, Instant at) implements LogEntry {}

  /** Every session of {@code subject} present at this point was revoked, as one step. */
  record RevokeAll(String subject, Instant at) implements LogEntry {}

  /** Coalesced last uses and sliding expiries of many sessions; replay only moves them forward. */
  record Touch(List<Use> uses) implements LogEntry {
    public Touch {
      uses = List.copyOf(uses);
    }
  }

  /** One session's last use and expiry in a {@link Touch}. */
  record Use(SessionId id, Instant lastUsedAt, Instant expiresAt) {}

  /** Every session purgeable at {@code now} was forgotten. */
  record Purge(Instant now) implements LogEntry {}

  /**
   * A legacy token file was imported, durably: the SHA-256 of its bytes (hex), so it is never
   * imported again. Kept in every snapshot.
   */
  record Imported(String sha256, int tokens, Instant at) implements LogEntry {
    /**
     * Stands for whatever an earlier release may have imported: that release kept no record of
     * it and its compaction forgot tokens it had logged out, so a store upgraded from format 1
     * never imports a legacy file.
     */
    static final String BY_EARLIER_RELEASE = "0".repeat(64);

    public Imported {
      Objects.requireNonNull(sha256, "sha256");
    }
  }

  /** In a snapshot: a session carried over, revoked or not; its tokens follow it. */
  record SessionState(SessionRecord session) implements LogEntry {}

  /** In a snapshot: a token of the session before it, rotated or not. */
  record TokenState(TokenRecord token) implements LogEntry {}

  /** Closes a snapshot; a snapshot without it is incomplete. */
  record End(long count) implements LogEntry {}

  /**
   * In a snapshot (format 4): a block of plain sessions, each with its one token, in the live
   * index's own layout, read straight into it ({@link LiveIndex#load}) without a record object
   * per session. Its bytes are the index's to write and read. When read, {@code block} is a view
   * of the reader's buffer, valid until the entry's consumer returns.
   */
  record PlainSessions(ByteBuffer block) implements LogEntry {}

  /**
   * In a snapshot (format 5), first: the plain sessions as the live index holds them in memory
   * ({@link IndexImage}), the header here, its raw sections right after this record in the file.
   * When read, {@code source} reads those sections, until the entry's consumer returns; when
   * decoded alone, it is null.
   */
  record Image(IndexImage.Header header, IndexImage.Source source) implements LogEntry {}

  /**
   * In a snapshot (format 4), first: how many sessions and tokens it holds, so that open sizes
   * the live index once ({@link LiveIndex#expect}) instead of growing it a million times.
   */
  record Sizes(long sessions, long tokens) implements LogEntry {}

  /**
   * In a log (format 3): every byte of this file before offset {@code durable} was on stable
   * storage when this record was written. A group commit leads each batch with one when the file
   * became more durable since the last. {@code closed}: written by a clean close, after a force
   * of everything before it, as the file's last record. Opening tells a hole no fsync covered (an
   * interrupted write: nothing in it was acknowledged) from damage to forced bytes by these.
   */
  record Mark(long durable, boolean closed) implements LogEntry {
    public Mark {
      if (durable < 0) {
        throw new IllegalArgumentException("durable offset is negative: " + durable);
      }
    }
  }

  /** An entry of format 1, where each token carried its own copy of its session. */
  sealed interface V1 extends LogEntry {}

  /** A format 1 token record: a token with its session copy, its revocation and binding. */
  record V1Token(TokenHash hash, Session session, Instant revokedAt, ClientBinding binding) {
    boolean isRevoked() {
      return revokedAt != null;
    }
  }

  /** A token was issued (in a snapshot: a record carried over, possibly revoked). */
  record V1Save(V1Token token) implements V1 {}

  record V1Revoke(TokenHash hash, Instant at) implements V1 {}

  record V1Touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) implements V1 {}

  record V1Delete(TokenHash hash) implements V1 {}

  record V1Purge(Instant now) implements V1 {}

  record V1RevokeAll(String subject, Instant at) implements V1 {}
}
