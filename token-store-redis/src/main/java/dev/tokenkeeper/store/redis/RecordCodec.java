package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * How a {@link TokenRecord} is laid out in Redis: one hash per token under
 * {@code <prefix>t:<scheme>:<hex digest>}, and one set per subject under
 * {@code <prefix>s:<subject>} whose members are the {@code <scheme>:<hex digest>} ids of that
 * subject's records.
 *
 * <p>Instants are written as fixed-width decimal text (12 digits of offset epoch seconds, then 9
 * of nanoseconds), so the Lua scripts can compare them as plain strings, exactly, without the
 * precision loss of Lua's doubles. Nothing here holds a secret: a key names a digest.
 *
 * <p>Immutable; thread-safe.
 */
final class RecordCodec {

  static final String SESSION_ID = "sid";
  static final String SUBJECT = "sub";
  static final String LABEL = "lbl";
  static final String CREATED = "c";
  static final String LAST_USED = "u";
  static final String EXPIRES = "e";
  static final String REVOKED = "r";
  static final String BOUND_NETWORK = "bn";
  static final String BOUND_AGENT = "ba";

  /** Seconds added to an epoch second so every supported instant encodes as 12 digits. */
  private static final long OFFSET = 100_000_000_000L;
  private static final long MIN_SECOND = -OFFSET;
  private static final long MAX_SECOND = 900_000_000_000L - 1;
  private static final int WIDTH = 21;

  private final String recordPrefix;
  private final String indexPrefix;

  RecordCodec(String keyPrefix) {
    this.recordPrefix = keyPrefix + "t:";
    this.indexPrefix = keyPrefix + "s:";
  }

  /** Prefix of every record key; a record's key is this followed by its {@link #id}. */
  String recordPrefix() {
    return recordPrefix;
  }

  /** Prefix of every subject index key; an index key is this followed by the subject. */
  String indexPrefix() {
    return indexPrefix;
  }

  /** The member naming {@code hash} in a subject index: {@code <scheme>:<hex digest>}. */
  static String id(TokenHash hash) {
    return hash.scheme() + ":" + HexFormat.of().formatHex(hash.bytes());
  }

  String recordKey(TokenHash hash) {
    return recordPrefix + id(hash);
  }

  String indexKey(String subject) {
    return indexPrefix + subject;
  }

  /** The fields of a new record's hash, as alternating names and values. */
  static List<String> fields(TokenRecord record) {
    Session session = record.session();
    List<String> fields = new ArrayList<>(18);
    add(fields, SESSION_ID, session.id().value());
    add(fields, SUBJECT, session.subject());
    if (session.label() != null) {
      add(fields, LABEL, session.label());
    }
    add(fields, CREATED, encode(session.createdAt()));
    add(fields, LAST_USED, encode(session.lastUsedAt()));
    add(fields, EXPIRES, encode(session.expiresAt()));
    if (record.revokedAt() != null) {
      add(fields, REVOKED, encode(record.revokedAt()));
    }
    if (record.binding() != null && record.binding().network() != null) {
      add(fields, BOUND_NETWORK, record.binding().network());
    }
    if (record.binding() != null && record.binding().userAgentDigest() != null) {
      add(fields, BOUND_AGENT, record.binding().userAgentDigest());
    }
    return fields;
  }

  /**
   * Rebuilds the record stored under {@code id} from its hash fields.
   *
   * @throws StoreCorruptedException if a field is missing or malformed
   */
  TokenRecord decode(String id, Map<String, String> fields) {
    try {
      int colon = id.indexOf(':');
      TokenHash hash = TokenHash.of(
          Integer.parseInt(id.substring(0, colon)), HexFormat.of().parseHex(id, colon + 1,
              id.length()));
      Session session = new Session(
          SessionId.parse(required(fields, SESSION_ID)),
          required(fields, SUBJECT),
          fields.get(LABEL),
          decode(required(fields, CREATED)),
          decode(required(fields, LAST_USED)),
          decode(required(fields, EXPIRES)));
      String revoked = fields.get(REVOKED);
      String network = fields.get(BOUND_NETWORK);
      String agent = fields.get(BOUND_AGENT);
      ClientBinding binding =
          network == null && agent == null ? null : new ClientBinding(network, agent);
      return new TokenRecord(hash, session, revoked == null ? null : decode(revoked), binding);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      // Never echo the id: it is a full hash. The fingerprint-sized prefix is enough to find it.
      throw new StoreCorruptedException(
          "redis:" + recordPrefix + id.substring(0, Math.min(id.length(), 10)) + "...", 0,
          "malformed record: " + e.getMessage());
    }
  }

  /**
   * The fixed-width text of {@code instant}.
   *
   * @throws IllegalArgumentException if it is before year -1200 or after year 30000
   */
  static String encode(Instant instant) {
    long second = instant.getEpochSecond();
    if (second < MIN_SECOND || second > MAX_SECOND) {
      throw new IllegalArgumentException("instant out of the range Redis records hold: " + instant);
    }
    return String.format("%012d%09d", second + OFFSET, instant.getNano());
  }

  /** The instant written by {@link #encode}. */
  static Instant decode(String text) {
    if (text.length() != WIDTH) {
      throw new IllegalArgumentException("instant must be " + WIDTH + " digits: " + text);
    }
    long second = Long.parseLong(text, 0, 12, 10) - OFFSET;
    int nano = Integer.parseInt(text, 12, WIDTH, 10);
    return Instant.ofEpochSecond(second, nano);
  }

  private static String required(Map<String, String> fields, String name) {
    String value = fields.get(name);
    if (value == null) {
      throw new IllegalArgumentException("field " + name + " is missing");
    }
    return value;
  }

  private static void add(List<String> fields, String name, String value) {
    fields.add(name);
    fields.add(value);
  }
}
