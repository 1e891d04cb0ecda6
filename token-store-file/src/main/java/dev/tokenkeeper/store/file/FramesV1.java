package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.store.file.Frames.flags;
import static dev.tokenkeeper.store.file.Frames.getHash;
import static dev.tokenkeeper.store.file.Frames.getId;
import static dev.tokenkeeper.store.file.Frames.getInstant;
import static dev.tokenkeeper.store.file.Frames.getString;
import static dev.tokenkeeper.store.file.Frames.share;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenHash;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

/**
 * Reads the bodies of format 1 files (magic version 1), written by releases before sessions were
 * records of their own: each token carried a copy of its session. Read only, to upgrade a store
 * ({@link V1Upgrade}); never written. The framing is the same as format 2's ({@link Frames}); a
 * save is {@code [hash][session id][created][last used][expires][u8 flags][revokedAt?][subject]
 * [label?][network?][agent?]}.
 */
final class FramesV1 {

  private static final byte SAVE = 1;
  private static final byte REVOKE = 2;
  private static final byte TOUCH = 3;
  private static final byte DELETE = 4;
  private static final byte PURGE = 5;
  private static final byte REVOKE_ALL = 6;
  private static final byte END = 7;

  private static final int HAS_LABEL = 1;
  private static final int REVOKED = 2;
  private static final int BOUND_NETWORK = 4;
  private static final int BOUND_AGENT = 8;

  private FramesV1() {}

  /** Decodes one format 1 body; see {@link Frames#decode}. */
  static LogEntry decode(ByteBuffer body, Map<String, String> strings) {
    byte type = body.get();
    switch (type) {
      case SAVE: {
        TokenHash hash = getHash(body);
        SessionId id = getId(body);
        Instant created = getInstant(body);
        Instant lastUsed = getInstant(body);
        Instant expires = getInstant(body);
        int flags = flags(body, HAS_LABEL | REVOKED | BOUND_NETWORK | BOUND_AGENT);
        Instant revokedAt = (flags & REVOKED) != 0 ? getInstant(body) : null;
        String subject = share(getString(body), strings);
        String label = (flags & HAS_LABEL) != 0 ? share(getString(body), strings) : null;
        ClientBinding binding = Frames.getBinding(
            body, (flags & BOUND_NETWORK) != 0, (flags & BOUND_AGENT) != 0);
        Session session = new Session(id, subject, label, created, lastUsed, expires);
        return new LogEntry.V1Save(new LogEntry.V1Token(hash, session, revokedAt, binding));
      }
      case REVOKE:
        return new LogEntry.V1Revoke(getHash(body), getInstant(body));
      case TOUCH:
        return new LogEntry.V1Touch(getHash(body), getInstant(body), getInstant(body));
      case DELETE:
        return new LogEntry.V1Delete(getHash(body));
      case PURGE:
        return new LogEntry.V1Purge(getInstant(body));
      case REVOKE_ALL: {
        Instant at = getInstant(body);
        return new LogEntry.V1RevokeAll(getString(body), at);
      }
      case END:
        return new LogEntry.End(body.getLong());
      default:
        throw new IllegalArgumentException("unknown format 1 entry type " + type);
    }
  }
}
