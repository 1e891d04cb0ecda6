package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The binary form of a {@link LogEntry}, format 2: a frame {@code [u32 length][u32 crc32c][body]},
 * the CRC over the body, the body {@code [u8 type][payload]}. Integers are big-endian; an instant
 * is {@code [i64 epochSecond][i32 nano]}; a string is {@code [u16 length][UTF-8]}; a hash is
 * {@code [u8 scheme][32 bytes digest]}; a session id its 22 ASCII characters; a sealed successor
 * {@code [u16 length][bytes][until]}. A session record or token record starts with flags saying
 * which optional fields follow. Files start with an 8-byte magic naming their kind and format
 * version; format 1 files are read by {@link FramesV1}. Format 3 adds the log's mark record
 * ({@link LogEntry.Mark}: {@code [i64 durable][u8 flags]}) and is otherwise format 2, which it
 * still reads. Only hashes, metadata and sealed pairs (which the store cannot open) are ever
 * encoded.
 */
final class Frames {

  static final int HEADER = 8;
  /**
   * Larger than any valid body: a create or rotation holds one session's fields (two 256-character
   * strings of up to 3 bytes a character) and a few tokens, a rotation a sealed pair of at most
   * {@link SealedSuccessor#MAX_LENGTH}; a touch batch is cut to fit. A snapshot writes each token
   * in a frame of its own, so a session with many tombstones never nears it.
   */
  static final int MAX_BODY = 16 * 1024;

  /**
   * The current format, 6: sessions and tokens as records of their own (since 2), logs that
   * carry their durable watermark in mark records (since 3), snapshots that hold plain sessions
   * as an image of the live index's memory ({@link LogEntry.Image}, since 5; format 4 held them
   * in blocks, {@link LogEntry.PlainSessions}, which are still read), and images whose digest
   * and id tables place keys by a keyed hash, its seeds in the image's record (since 6).
   */
  static final int VERSION = 6;
  static final byte[] LOG_MAGIC = {'T', 'K', 'L', 'O', 'G', 0, 0, VERSION};
  static final byte[] SNAPSHOT_MAGIC = {'T', 'K', 'S', 'N', 'P', 0, 0, VERSION};

  /** Most uses one touch frame holds, so that it stays far below {@link #MAX_BODY}. */
  static final int MAX_TOUCHES = 256;
  /** Most tokens a create may hold. */
  static final int MAX_CREATE_TOKENS = 64;

  private static final byte CREATE = 1;
  private static final byte ROTATE = 2;
  private static final byte REVOKE_SESSION = 3;
  private static final byte REVOKE_ALL = 4;
  private static final byte TOUCH = 5;
  private static final byte PURGE = 6;
  private static final byte IMPORTED = 7;
  private static final byte SESSION = 8;
  private static final byte TOKEN = 9;
  private static final byte END = 10;
  private static final byte MARK = 11;
  private static final byte PLAIN_SESSIONS = 12;
  private static final byte SIZES = 13;
  private static final byte IMAGE = 14;
  /** The most bytes a {@link LogEntry.PlainSessions} block may hold. */
  static final int MAX_BLOCK = MAX_BODY - 1;
  /** The size of a mark's whole frame. */
  static final int MARK_FRAME = HEADER + 1 + 8 + 1;

  static final int SESSION_ID = 22;

  private static final int HAS_LABEL = 1;
  private static final int REVOKED = 2;
  private static final int BOUND_NETWORK = 4;
  private static final int BOUND_AGENT = 8;
  private static final int HAS_REFRESH = 16;

  private static final int OWN_EXPIRY = 1;
  private static final int ROTATED = 2;
  private static final int HAS_SUCCESSOR = 4;

  private static final int HAS_EXPECTED = 1;
  private static final int ROTATION_SUCCESSOR = 2;

  private static final int CLOSED = 1;

  private Frames() {}

  /** The format version a file's magic names, or -1 if it is not a {@code kind} file. */
  static int version(byte[] header, byte[] kind) {
    if (header.length != HEADER
        || !Arrays.equals(header, 0, HEADER - 1, kind, 0, HEADER - 1)) {
      return -1;
    }
    int version = header[HEADER - 1];
    return version >= 1 && version <= VERSION ? version : -1;
  }

  /**
   * The whole frame for {@code entry}, ready to append.
   *
   * @throws IllegalArgumentException if the entry does not fit in one frame
   */
  static ByteBuffer encode(LogEntry entry) {
    ByteBuffer frame;
    try {
      int size = entry instanceof LogEntry.PlainSessions plain
          ? HEADER + 1 + plain.block().remaining() : 1024;
      frame = encodeInto(ByteBuffer.allocate(size), entry);
    } catch (BufferOverflowException small) {
      try {
        frame = encodeInto(ByteBuffer.allocate(HEADER + MAX_BODY), entry);
      } catch (BufferOverflowException e) {
        throw new IllegalArgumentException(entry.getClass().getSimpleName()
            + " does not fit in one record of " + MAX_BODY + " bytes");
      }
    }
    int length = frame.position() - HEADER;
    frame.putInt(0, length);
    frame.putInt(4, checksum(frame.array(), HEADER, length));
    return ByteBuffer.wrap(Arrays.copyOf(frame.array(), frame.position()));
  }

  private static ByteBuffer encodeInto(ByteBuffer frame, LogEntry entry) {
    frame.position(HEADER);
    if (entry instanceof LogEntry.Create create) {
      if (create.tokens().size() > MAX_CREATE_TOKENS) {
        throw new IllegalArgumentException("a session is created with at most "
            + MAX_CREATE_TOKENS + " tokens: " + create.tokens().size());
      }
      frame.put(CREATE);
      putSession(frame, create.session());
      frame.put((byte) create.tokens().size());
      for (TokenRecord token : create.tokens()) {
        putToken(frame, token);
      }
    } else if (entry instanceof LogEntry.Rotate rotate) {
      Rotation r = rotate.rotation();
      frame.put(ROTATE);
      putId(frame, r.sessionId());
      frame.put((byte) ((r.expectedCurrent() == null ? 0 : HAS_EXPECTED)
          | (r.successor() == null ? 0 : ROTATION_SUCCESSOR)));
      if (r.expectedCurrent() != null) {
        putHash(frame, r.expectedCurrent());
      }
      putHash(frame, r.rotated());
      putInstant(frame, r.at());
      if (r.successor() != null) {
        putSuccessor(frame, r.successor());
      }
      putToken(frame, r.refresh());
      putToken(frame, r.access());
      putInstant(frame, r.expiresAt());
    } else if (entry instanceof LogEntry.RevokeSession revoke) {
      frame.put(REVOKE_SESSION);
      putId(frame, revoke.id());
      putInstant(frame, revoke.at());
    } else if (entry instanceof LogEntry.RevokeAll all) {
      frame.put(REVOKE_ALL);
      putInstant(frame, all.at());
      putString(frame, all.subject());
    } else if (entry instanceof LogEntry.Touch touch) {
      if (touch.uses().size() > MAX_TOUCHES) {
        throw new IllegalArgumentException("a touch record holds at most " + MAX_TOUCHES
            + " uses: " + touch.uses().size());
      }
      frame.put(TOUCH);
      frame.putShort((short) touch.uses().size());
      for (LogEntry.Use use : touch.uses()) {
        putId(frame, use.id());
        putInstant(frame, use.lastUsedAt());
        putInstant(frame, use.expiresAt());
      }
    } else if (entry instanceof LogEntry.Purge purge) {
      frame.put(PURGE);
      putInstant(frame, purge.now());
    } else if (entry instanceof LogEntry.Imported imported) {
      frame.put(IMPORTED);
      frame.put(HexFormat.of().parseHex(imported.sha256()));
      frame.putInt(imported.tokens());
      putInstant(frame, imported.at());
    } else if (entry instanceof LogEntry.SessionState state) {
      frame.put(SESSION);
      putSession(frame, state.session());
    } else if (entry instanceof LogEntry.TokenState state) {
      frame.put(TOKEN);
      putId(frame, state.token().sessionId());
      putToken(frame, state.token());
    } else if (entry instanceof LogEntry.PlainSessions plain) {
      frame.put(PLAIN_SESSIONS);
      frame.put(plain.block().duplicate());
    } else if (entry instanceof LogEntry.Sizes sizes) {
      frame.put(SIZES);
      frame.putLong(sizes.sessions());
      frame.putLong(sizes.tokens());
    } else if (entry instanceof LogEntry.Image image) {
      frame.put(IMAGE);
      int[] counts = image.header().counts();
      int[] checksums = image.header().checksums();
      for (int i = 0; i < counts.length; i++) {
        frame.putInt(counts[i]).putInt(checksums[i]);
      }
      frame.putInt(image.header().deadTextBytes());
      frame.putLong(image.header().textSeed());
      frame.putLong(image.header().digestKeys().seed());
      frame.putLong(image.header().idKeys().seed());
    } else if (entry instanceof LogEntry.End end) {
      frame.put(END);
      frame.putLong(end.count());
    } else if (entry instanceof LogEntry.Mark mark) {
      frame.put(MARK);
      frame.putLong(mark.durable());
      frame.put((byte) (mark.closed() ? CLOSED : 0));
    } else {
      throw new IllegalArgumentException("format 1 entries are read, never written");
    }
    if (frame.position() - HEADER > MAX_BODY) {
      throw new BufferOverflowException();
    }
    return frame;
  }

  /** The CRC32C of {@code length} bytes of {@code bytes} from {@code offset}. */
  static int checksum(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }

  /**
   * Decodes a body whose checksum already matched, from a file of format {@code version}.
   *
   * @param strings shares equal subject and label strings across records while loading, or null
   * @throws IllegalArgumentException if the body is not a valid entry
   */
  static LogEntry decode(ByteBuffer body, int version, Map<String, String> strings) {
    try {
      LogEntry entry = version == 1 ? FramesV1.decode(body, strings)
          : decodeUnchecked(body, version, strings);
      if (body.hasRemaining()) {
        throw new IllegalArgumentException(body.remaining() + " unexpected bytes after the entry");
      }
      return entry;
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("entry is shorter than its type requires", e);
    }
  }

  private static LogEntry decodeUnchecked(ByteBuffer body, int version,
      Map<String, String> strings) {
    byte type = body.get();
    if (type == MARK && version >= 3) {
      long durable = body.getLong();
      if (durable < 0) {
        throw new IllegalArgumentException("negative durable offset in a mark: " + durable);
      }
      return new LogEntry.Mark(durable, flags(body, CLOSED) != 0);
    }
    if (type == PLAIN_SESSIONS && version >= 4) {
      ByteBuffer block = body.slice().asReadOnlyBuffer();
      body.position(body.limit());
      return new LogEntry.PlainSessions(block);
    }
    if (type == SIZES && version >= 4) {
      long sessions = body.getLong();
      long tokens = body.getLong();
      if (sessions < 0 || tokens < 0) {
        throw new IllegalArgumentException("negative sizes: " + sessions + ", " + tokens);
      }
      return new LogEntry.Sizes(sessions, tokens);
    }
    if (type == IMAGE && version >= 5) {
      int sections = IndexImage.Section.values().length;
      int[] counts = new int[sections];
      int[] checksums = new int[sections];
      for (int i = 0; i < sections; i++) {
        counts[i] = body.getInt();
        checksums[i] = body.getInt();
      }
      int dead = body.getInt();
      long textSeed = body.getLong();
      KeyHash digestKeys = version >= 6 ? KeyHash.of(body.getLong()) : KeyHash.FORMAT_5;
      KeyHash idKeys = version >= 6 ? KeyHash.of(body.getLong()) : KeyHash.FORMAT_5;
      return new LogEntry.Image(
          new IndexImage.Header(counts, checksums, dead, textSeed, digestKeys, idKeys), null);
    }
    switch (type) {
      case CREATE: {
        SessionRecord session = getSession(body, strings);
        int count = Byte.toUnsignedInt(body.get());
        if (count > MAX_CREATE_TOKENS) {
          throw new IllegalArgumentException("too many tokens in a create: " + count);
        }
        List<TokenRecord> tokens = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          tokens.add(getToken(body, session.id()));
        }
        return new LogEntry.Create(session, tokens);
      }
      case ROTATE: {
        SessionId id = getId(body);
        int flags = flags(body, HAS_EXPECTED | ROTATION_SUCCESSOR);
        TokenHash expected = (flags & HAS_EXPECTED) != 0 ? getHash(body) : null;
        TokenHash rotated = getHash(body);
        Instant at = getInstant(body);
        SealedSuccessor successor = (flags & ROTATION_SUCCESSOR) != 0 ? getSuccessor(body) : null;
        TokenRecord refresh = getToken(body, id);
        TokenRecord access = getToken(body, id);
        return new LogEntry.Rotate(new Rotation(id, expected, rotated, at, successor, refresh,
            access, getInstant(body)));
      }
      case REVOKE_SESSION:
        return new LogEntry.RevokeSession(getId(body), getInstant(body));
      case REVOKE_ALL: {
        Instant at = getInstant(body);
        return new LogEntry.RevokeAll(getString(body), at);
      }
      case TOUCH: {
        int count = Short.toUnsignedInt(body.getShort());
        if (count > MAX_TOUCHES) {
          throw new IllegalArgumentException("too many uses in a touch: " + count);
        }
        List<LogEntry.Use> uses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          uses.add(new LogEntry.Use(getId(body), getInstant(body), getInstant(body)));
        }
        return new LogEntry.Touch(uses);
      }
      case PURGE:
        return new LogEntry.Purge(getInstant(body));
      case IMPORTED: {
        byte[] digest = new byte[32];
        body.get(digest);
        return new LogEntry.Imported(HexFormat.of().formatHex(digest), body.getInt(),
            getInstant(body));
      }
      case SESSION:
        return new LogEntry.SessionState(getSession(body, strings));
      case TOKEN:
        return new LogEntry.TokenState(getToken(body, getId(body)));
      case END:
        return new LogEntry.End(body.getLong());
      default:
        throw new IllegalArgumentException("unknown entry type " + type);
    }
  }

  private static void putSession(ByteBuffer frame, SessionRecord record) {
    Session s = record.session();
    ClientBinding binding = record.binding();
    String network = binding == null ? null : binding.network();
    String agent = binding == null ? null : binding.userAgentDigest();
    putId(frame, s.id());
    putInstant(frame, s.createdAt());
    putInstant(frame, s.lastUsedAt());
    putInstant(frame, s.expiresAt());
    frame.put((byte) ((s.label() == null ? 0 : HAS_LABEL) | (record.isRevoked() ? REVOKED : 0)
        | (network == null ? 0 : BOUND_NETWORK) | (agent == null ? 0 : BOUND_AGENT)
        | (record.refreshHash() == null ? 0 : HAS_REFRESH)));
    if (record.isRevoked()) {
      putInstant(frame, record.revokedAt());
    }
    if (record.refreshHash() != null) {
      putHash(frame, record.refreshHash());
    }
    putString(frame, s.subject());
    if (s.label() != null) {
      putString(frame, s.label());
    }
    if (network != null) {
      putString(frame, network);
    }
    if (agent != null) {
      putString(frame, agent);
    }
  }

  private static SessionRecord getSession(ByteBuffer body, Map<String, String> strings) {
    SessionId id = getId(body);
    Instant created = getInstant(body);
    Instant lastUsed = getInstant(body);
    Instant expires = getInstant(body);
    int flags = flags(body, HAS_LABEL | REVOKED | BOUND_NETWORK | BOUND_AGENT | HAS_REFRESH);
    Instant revokedAt = (flags & REVOKED) != 0 ? getInstant(body) : null;
    TokenHash refresh = (flags & HAS_REFRESH) != 0 ? getHash(body) : null;
    String subject = share(getString(body), strings);
    String label = (flags & HAS_LABEL) != 0 ? share(getString(body), strings) : null;
    ClientBinding binding = getBinding(
        body, (flags & BOUND_NETWORK) != 0, (flags & BOUND_AGENT) != 0);
    // Share equal instants: a fresh session's createdAt and lastUsedAt are one value.
    if (lastUsed.equals(created)) {
      lastUsed = created;
    }
    Session session = new Session(id, subject, label, created, lastUsed, expires);
    return new SessionRecord(session, binding, refresh, revokedAt);
  }

  /** A binding's optional network and user-agent digest, as both formats write them. */
  static ClientBinding getBinding(ByteBuffer body, boolean network, boolean agent) {
    String boundNetwork = network ? getString(body) : null;
    String boundAgent = agent ? getString(body) : null;
    return boundNetwork == null && boundAgent == null ? null
        : new ClientBinding(boundNetwork, boundAgent);
  }

  private static void putToken(ByteBuffer frame, TokenRecord token) {
    putHash(frame, token.hash());
    frame.put((byte) ((token.expiresAt() == null ? 0 : OWN_EXPIRY)
        | (token.isRotated() ? ROTATED : 0) | (token.successor() == null ? 0 : HAS_SUCCESSOR)));
    if (token.expiresAt() != null) {
      putInstant(frame, token.expiresAt());
    }
    if (token.isRotated()) {
      putInstant(frame, token.rotatedAt());
    }
    if (token.successor() != null) {
      putSuccessor(frame, token.successor());
    }
  }

  private static TokenRecord getToken(ByteBuffer body, SessionId id) {
    TokenHash hash = getHash(body);
    int flags = flags(body, OWN_EXPIRY | ROTATED | HAS_SUCCESSOR);
    Instant expires = (flags & OWN_EXPIRY) != 0 ? getInstant(body) : null;
    Instant rotated = (flags & ROTATED) != 0 ? getInstant(body) : null;
    SealedSuccessor successor = (flags & HAS_SUCCESSOR) != 0 ? getSuccessor(body) : null;
    return new TokenRecord(hash, id, expires, rotated, successor);
  }

  private static void putSuccessor(ByteBuffer frame, SealedSuccessor successor) {
    byte[] sealed = successor.bytes();
    frame.putShort((short) sealed.length).put(sealed);
    putInstant(frame, successor.until());
  }

  private static SealedSuccessor getSuccessor(ByteBuffer body) {
    int length = Short.toUnsignedInt(body.getShort());
    if (length > SealedSuccessor.MAX_LENGTH) {
      throw new IllegalArgumentException("sealed pair too long: " + length);
    }
    byte[] sealed = new byte[length];
    body.get(sealed);
    return SealedSuccessor.of(sealed, getInstant(body));
  }

  static int flags(ByteBuffer body, int known) {
    int flags = Byte.toUnsignedInt(body.get());
    if ((flags & ~known) != 0) {
      throw new IllegalArgumentException("unknown flags " + flags);
    }
    return flags;
  }

  static void putId(ByteBuffer frame, SessionId id) {
    frame.put(id.value().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * A session id from its text, {@value #SESSION_ID} base64url characters, read in place
   * ({@link SessionId#read}): a replay reads one per use, and the text, its bytes and a decoder's
   * buffers were most of what replaying a use allocated.
   */
  static SessionId getId(ByteBuffer body) {
    return SessionId.read(body);
  }

  static void putHash(ByteBuffer frame, TokenHash hash) {
    frame.put((byte) hash.scheme()).put(hash.bytes());
  }

  static TokenHash getHash(ByteBuffer body) {
    int scheme = body.get();
    byte[] digest = new byte[TokenHash.SHA256_LENGTH];
    body.get(digest);
    return TokenHash.of(scheme, digest);
  }

  static void putInstant(ByteBuffer frame, Instant instant) {
    frame.putLong(instant.getEpochSecond()).putInt(instant.getNano());
  }

  static Instant getInstant(ByteBuffer body) {
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

  static void putString(ByteBuffer frame, String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    frame.putShort((short) utf8.length).put(utf8);
  }

  static String getString(ByteBuffer body) {
    int length = Short.toUnsignedInt(body.getShort());
    byte[] utf8 = new byte[length];
    body.get(utf8);
    return new String(utf8, StandardCharsets.UTF_8);
  }

  static String share(String value, Map<String, String> strings) {
    if (strings == null) {
      return value;
    }
    String shared = strings.putIfAbsent(value, value);
    return shared == null ? value : shared;
  }
}
