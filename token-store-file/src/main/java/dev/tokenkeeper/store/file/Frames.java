package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The binary form of a {@link LogEntry}: a frame {@code [u32 length][u32 crc32c][body]}, the CRC
 * over the body, the body {@code [u8 type][payload]}. Integers are big-endian; an instant is
 * {@code [i64 epochSecond][i32 nano]}; a string is {@code [u16 length][UTF-8]}; a hash is
 * {@code [u8 scheme][32 bytes digest]}; a session id its 22 ASCII characters. A save's flags say
 * which optional fields follow: revokedAt, label, bound network, bound user-agent digest. Files start with an
 * 8-byte magic naming their kind and format version. Only hashes and metadata are ever encoded.
 */
final class Frames {

  static final int HEADER = 8;
  /** Larger than any valid body (two 256-character strings of 3-byte characters plus fields). */
  static final int MAX_BODY = 4096;

  static final byte[] LOG_MAGIC = {'T', 'K', 'L', 'O', 'G', 0, 0, 1};
  static final byte[] SNAPSHOT_MAGIC = {'T', 'K', 'S', 'N', 'P', 0, 0, 1};

  private static final byte SAVE = 1;
  private static final byte REVOKE = 2;
  private static final byte TOUCH = 3;
  private static final byte DELETE = 4;
  private static final byte PURGE = 5;
  private static final byte REVOKE_ALL = 6;
  private static final byte END = 7;

  private static final int HASH = 1 + TokenHash.SHA256_LENGTH;
  private static final int INSTANT = 12;
  private static final int SESSION_ID = 22;
  private static final int HAS_LABEL = 1;
  private static final int REVOKED = 2;
  private static final int BOUND_NETWORK = 4;
  private static final int BOUND_AGENT = 8;

  private Frames() {}

  /** The whole frame for {@code entry}, ready to append. */
  static ByteBuffer encode(LogEntry entry) {
    ByteBuffer frame;
    if (entry instanceof LogEntry.Save save) {
      TokenRecord record = save.record();
      Session s = record.session();
      byte[] subject = s.subject().getBytes(StandardCharsets.UTF_8);
      byte[] label = s.label() == null ? null : s.label().getBytes(StandardCharsets.UTF_8);
      ClientBinding binding = record.binding();
      byte[] network = binding == null || binding.network() == null ? null
          : binding.network().getBytes(StandardCharsets.UTF_8);
      byte[] agent = binding == null || binding.userAgentDigest() == null ? null
          : binding.userAgentDigest().getBytes(StandardCharsets.UTF_8);
      int size = 1 + HASH + SESSION_ID + 3 * INSTANT + 1 + (record.isRevoked() ? INSTANT : 0)
          + 2 + subject.length + (label == null ? 0 : 2 + label.length)
          + (network == null ? 0 : 2 + network.length) + (agent == null ? 0 : 2 + agent.length);
      frame = start(size, SAVE);
      putHash(frame, record.hash());
      frame.put(s.id().value().getBytes(StandardCharsets.US_ASCII));
      putInstant(frame, s.createdAt());
      putInstant(frame, s.lastUsedAt());
      putInstant(frame, s.expiresAt());
      frame.put((byte) ((label == null ? 0 : HAS_LABEL) | (record.isRevoked() ? REVOKED : 0)
          | (network == null ? 0 : BOUND_NETWORK) | (agent == null ? 0 : BOUND_AGENT)));
      if (record.isRevoked()) {
        putInstant(frame, record.revokedAt());
      }
      putString(frame, subject);
      if (label != null) {
        putString(frame, label);
      }
      if (network != null) {
        putString(frame, network);
      }
      if (agent != null) {
        putString(frame, agent);
      }
    } else if (entry instanceof LogEntry.Revoke revoke) {
      frame = start(1 + HASH + INSTANT, REVOKE);
      putHash(frame, revoke.hash());
      putInstant(frame, revoke.at());
    } else if (entry instanceof LogEntry.Touch touch) {
      frame = start(1 + HASH + 2 * INSTANT, TOUCH);
      putHash(frame, touch.hash());
      putInstant(frame, touch.lastUsedAt());
      putInstant(frame, touch.expiresAt());
    } else if (entry instanceof LogEntry.Delete delete) {
      frame = start(1 + HASH, DELETE);
      putHash(frame, delete.hash());
    } else if (entry instanceof LogEntry.Purge purge) {
      frame = start(1 + INSTANT, PURGE);
      putInstant(frame, purge.now());
    } else if (entry instanceof LogEntry.RevokeAll all) {
      byte[] subject = all.subject().getBytes(StandardCharsets.UTF_8);
      frame = start(1 + INSTANT + 2 + subject.length, REVOKE_ALL);
      putInstant(frame, all.at());
      putString(frame, subject);
    } else {
      frame = start(1 + 8, END);
      frame.putLong(((LogEntry.End) entry).count());
    }
    if (frame.hasRemaining()) {
      throw new AssertionError("frame size miscounted for " + entry.getClass().getSimpleName());
    }
    CRC32C crc = new CRC32C();
    crc.update(frame.array(), HEADER, frame.capacity() - HEADER);
    frame.putInt(4, (int) crc.getValue());
    return frame.flip();
  }

  /** The CRC32C of {@code length} bytes of {@code bytes} from {@code offset}. */
  static int checksum(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }

  /**
   * Decodes a body whose checksum already matched.
   *
   * @param strings shares equal subject and label strings across records while loading, or null
   * @throws IllegalArgumentException if the body is not a valid entry
   */
  static LogEntry decode(ByteBuffer body, Map<String, String> strings) {
    try {
      LogEntry entry = decodeUnchecked(body, strings);
      if (body.hasRemaining()) {
        throw new IllegalArgumentException(body.remaining() + " unexpected bytes after the entry");
      }
      return entry;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("entry is shorter than its type requires", e);
    }
  }

  private static LogEntry decodeUnchecked(ByteBuffer body, Map<String, String> strings) {
    byte type = body.get();
    switch (type) {
      case SAVE: {
        TokenHash hash = getHash(body);
        byte[] id = new byte[SESSION_ID];
        body.get(id);
        Instant created = getInstant(body);
        Instant lastUsed = getInstant(body);
        Instant expires = getInstant(body);
        int flags = body.get();
        if ((flags & ~(HAS_LABEL | REVOKED | BOUND_NETWORK | BOUND_AGENT)) != 0) {
          throw new IllegalArgumentException("unknown flags " + flags);
        }
        Instant revokedAt = (flags & REVOKED) != 0 ? getInstant(body) : null;
        String subject = share(getString(body), strings);
        String label = (flags & HAS_LABEL) != 0 ? share(getString(body), strings) : null;
        String network = (flags & BOUND_NETWORK) != 0 ? getString(body) : null;
        String agent = (flags & BOUND_AGENT) != 0 ? getString(body) : null;
        ClientBinding binding =
            network == null && agent == null ? null : new ClientBinding(network, agent);
        // Share equal instants: a fresh session's createdAt and lastUsedAt are one value.
        if (lastUsed.equals(created)) {
          lastUsed = created;
        }
        Session session = new Session(SessionId.parse(new String(id, StandardCharsets.US_ASCII)),
            subject, label, created, lastUsed, expires);
        return new LogEntry.Save(new TokenRecord(hash, session, revokedAt, binding));
      }
      case REVOKE:
        return new LogEntry.Revoke(getHash(body), getInstant(body));
      case TOUCH:
        return new LogEntry.Touch(getHash(body), getInstant(body), getInstant(body));
      case DELETE:
        return new LogEntry.Delete(getHash(body));
      case PURGE:
        return new LogEntry.Purge(getInstant(body));
      case REVOKE_ALL: {
        Instant at = getInstant(body);
        return new LogEntry.RevokeAll(getString(body), at);
      }
      case END:
        return new LogEntry.End(body.getLong());
      default:
        throw new IllegalArgumentException("unknown entry type " + type);
    }
  }

  private static ByteBuffer start(int bodySize, byte type) {
    ByteBuffer frame = ByteBuffer.allocate(HEADER + bodySize);
    frame.putInt(bodySize).putInt(0).put(type);
    return frame;
  }

  private static void putHash(ByteBuffer frame, TokenHash hash) {
    frame.put((byte) hash.scheme()).put(hash.bytes());
  }

  private static TokenHash getHash(ByteBuffer body) {
    int scheme = body.get();
    byte[] digest = new byte[TokenHash.SHA256_LENGTH];
    body.get(digest);
    return TokenHash.of(scheme, digest);
  }

  private static void putInstant(ByteBuffer frame, Instant instant) {
    frame.putLong(instant.getEpochSecond()).putInt(instant.getNano());
  }

  private static Instant getInstant(ByteBuffer body) {
    long seconds = body.getLong();
    int nanos = body.getInt();
    if (nanos < 0 || nanos > 999_999_999) {
      throw new IllegalArgumentException("nanosecond field out of range: " + nanos);
    }
    if (seconds < Instant.MIN.getEpochSecond() || seconds > Instant.MAX.getEpochSecond()) {
      throw new IllegalArgumentException("second field out of range: " + seconds);
    }
    return Instant.ofEpochSecond(seconds, nanos);
  }

  private static void putString(ByteBuffer frame, byte[] utf8) {
    frame.putShort((short) utf8.length).put(utf8);
  }

  private static String getString(ByteBuffer body) {
    int length = Short.toUnsignedInt(body.getShort());
    byte[] utf8 = new byte[length];
    body.get(utf8);
    return new String(utf8, StandardCharsets.UTF_8);
  }

  private static String share(String value, Map<String, String> strings) {
    if (strings == null) {
      return value;
    }
    String shared = strings.putIfAbsent(value, value);
    return shared == null ? value : shared;
  }
}
