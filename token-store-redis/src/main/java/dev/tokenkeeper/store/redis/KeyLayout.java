package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * How sessions and tokens are laid out in Redis (layout version 2), every key under
 * {@code <prefix>v2:}:
 *
 * <ul>
 *   <li>{@code s:<session id>}: a hash per session: subject, label, created, last used, expiry,
 *       binding, the current refresh token's id ({@code rh}) and, once revoked, {@code r};
 *       {@code v1} marks a session upgraded from layout 1, whose current refresh token is unknown.
 *   <li>{@code t:<scheme>:<hex digest>}: a hash per token: its session id, its own expiry
 *       ({@code e}, absent if it lives as long as its session) and, once rotated out, {@code ro}.
 *   <li>{@code n:<scheme>:<hex digest>}: the sealed successor of a rotated token, as
 *       {@code <until>:<base64>}, living as long as its tombstone; the session's next rotation
 *       at or after {@code until} drops it (the session's field {@code sp} names the tombstones
 *       holding one). Not a TTL of the grace window alone: the window is the application's
 *       clock's, and Redis's may run past it while that clock says it is still open.
 *   <li>{@code k:<session id>}: the set of a session's token ids, so its tokens expire with it.
 *   <li>{@code i:<subject>}: the subject's session ids, a sorted set scored by when (Redis's
 *       clock) Redis drops each session's keys; members past their score are trimmed whenever a
 *       script writes the index, so it holds only sessions still in Redis. (The first release of
 *       layout 2 kept a plain set; scripts convert one in place when they meet it.)
 *   <li>{@code g:<subject>}: the subject's marker: {@code n}, the number of its last created
 *       session (each session stores its own as {@code n}) and, after a logout everywhere,
 *       {@code ra}/{@code rat}: sessions numbered up to {@code ra} were revoked at {@code rat}.
 *       So a logout everywhere is one O(1) atomic step however many sessions the subject has;
 *       writing {@code r} on each session then follows in short pages.
 * </ul>
 *
 * <p>Instants are written as fixed-width decimal text (12 digits of offset epoch seconds, then 9
 * of nanoseconds), so the Lua scripts compare them as plain strings, exactly, without the
 * precision loss of Lua's doubles. Nothing here holds a secret: a key names a digest, and a sealed
 * successor opens only with the rotated token's plaintext.
 *
 * <p>Immutable; thread-safe.
 */
final class KeyLayout {

  static final String SUBJECT = "sub";
  static final String LABEL = "lbl";
  static final String CREATED = "c";
  static final String LAST_USED = "u";
  static final String EXPIRES = "e";
  static final String REVOKED = "r";
  static final String REFRESH = "rh";
  static final String UPGRADED = "v1";
  static final String BOUND_NETWORK = "bn";
  static final String BOUND_AGENT = "ba";
  static final String SESSION_ID = "sid";
  static final String ROTATED = "ro";

  /** Seconds added to an epoch second so every supported instant encodes as 12 digits. */
  private static final long OFFSET = 100_000_000_000L;
  private static final long MIN_SECOND = -OFFSET;
  private static final long MAX_SECOND = 900_000_000_000L - 1;
  private static final int WIDTH = 21;

  private final String keyPrefix;
  private final boolean cluster;
  private final String root;

  /** The layout on a standalone Redis: every key under {@code <prefix>v2:}. */
  KeyLayout(String keyPrefix) {
    this(keyPrefix, false, keyPrefix + "v2:");
  }

  private KeyLayout(String keyPrefix, boolean cluster, String root) {
    this.keyPrefix = keyPrefix;
    this.cluster = cluster;
    this.root = root;
  }

  /**
   * The layout on a Redis Cluster. Every key of one subject (its sessions, their tokens and
   * sealed successors, its index and marker) is under {@code <prefix>v2:{<tag>}:}, the tag
   * being the first 16 hex digits of the subject's SHA-1: so they share one hash slot, and every
   * script, logout everywhere included, stays one atomic step on one node. A token or session is
   * then found from its id alone by a pointer in its own slot, {@code <prefix>v2:pt:<token id>}
   * or {@code <prefix>v2:ps:<session id>}, holding the tag; pointers never change, and live at
   * least as long as what they point to.
   */
  static KeyLayout cluster(String keyPrefix) {
    return new KeyLayout(keyPrefix, true, keyPrefix + "v2:");
  }

  /** Whether keys are spread over a cluster's slots by subject (see {@link #cluster}). */
  boolean isCluster() {
    return cluster;
  }

  /** The layout of {@code subject}'s keys: this one, or on a cluster the subject's slot. */
  KeyLayout of(String subject) {
    return cluster ? ofTag(tag(subject)) : this;
  }

  /** The layout of the slot {@code tag} names (a cluster only). */
  KeyLayout ofTag(String tag) {
    return new KeyLayout(keyPrefix, true, keyPrefix + "v2:{" + tag + "}:");
  }

  /** The hash tag of {@code subject}'s keys on a cluster: hex, so never a brace. */
  static String tag(String subject) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1")
          .digest(subject.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-1", e);
    }
  }

  /** The tag inside a cluster key, between its first braces. */
  static String tagOf(String key) {
    return key.substring(key.indexOf('{') + 1, key.indexOf('}'));
  }

  /** The tag of this layout's slot, or {@code null} on a standalone Redis. */
  String tag() {
    return cluster && root.contains("{") ? tagOf(root) : null;
  }

  /** On a cluster: the key holding the tag of the token {@code hash}. */
  String tokenPointer(TokenHash hash) {
    return tokenPointer(id(hash));
  }

  /** On a cluster: the key holding the tag of the token named {@code tokenId} ({@link #id}). */
  String tokenPointer(String tokenId) {
    return keyPrefix + "v2:pt:" + tokenId;
  }

  /** On a cluster: the key holding the tag of the session {@code id}. */
  String sessionPointer(SessionId id) {
    return keyPrefix + "v2:ps:" + id.value();
  }

  /** A glob matching every session key of this layout, of every subject on a cluster. */
  String sessionPattern() {
    return cluster ? keyPrefix + "v2:{*}:s:*" : sessionPrefix() + "*";
  }

  /** The prefix every key of this layout starts with. */
  String root() {
    return root;
  }

  String sessionPrefix() {
    return root + "s:";
  }

  String tokenPrefix() {
    return root + "t:";
  }

  String successorPrefix() {
    return root + "n:";
  }

  String tokensOfPrefix() {
    return root + "k:";
  }

  String indexPrefix() {
    return root + "i:";
  }

  String markerPrefix() {
    return root + "g:";
  }

  /** The key whose presence says every layout-1 key has been upgraded. */
  String upgradedMarker() {
    return root + "upgraded";
  }

  String sessionKey(SessionId id) {
    return sessionPrefix() + id.value();
  }

  String tokenKey(TokenHash hash) {
    return tokenPrefix() + id(hash);
  }

  String successorKey(TokenHash hash) {
    return successorPrefix() + id(hash);
  }

  String tokensOfKey(SessionId id) {
    return tokensOfPrefix() + id.value();
  }

  String indexKey(String subject) {
    return indexPrefix() + subject;
  }

  String markerKey(String subject) {
    return markerPrefix() + subject;
  }

  /** The text naming {@code hash} in keys and fields: {@code <scheme>:<hex digest>}. */
  static String id(TokenHash hash) {
    return hash.scheme() + ":" + HexFormat.of().formatHex(hash.bytes());
  }

  /** The hash named by {@link #id}. */
  static TokenHash hash(String id) {
    int colon = id.indexOf(':');
    return TokenHash.of(Integer.parseInt(id.substring(0, colon)),
        HexFormat.of().parseHex(id, colon + 1, id.length()));
  }

  /** The fields of a session's hash, as alternating names and values. */
  static List<String> fields(SessionRecord record) {
    Session session = record.session();
    List<String> fields = new ArrayList<>(20);
    add(fields, SUBJECT, session.subject());
    if (session.label() != null) {
      add(fields, LABEL, session.label());
    }
    add(fields, CREATED, encode(session.createdAt()));
    add(fields, LAST_USED, encode(session.lastUsedAt()));
    add(fields, EXPIRES, encode(session.expiresAt()));
    if (record.refreshHash() != null) {
      add(fields, REFRESH, id(record.refreshHash()));
    }
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

  /** A token's own expiry as stored: fixed-width text, or empty if it lives with its session. */
  static String expiry(TokenRecord token) {
    return token.expiresAt() == null ? "" : encode(token.expiresAt());
  }

  /** A sealed successor as stored: {@code <until>:<base64 of the sealed bytes>}. */
  static String successor(SealedSuccessor successor) {
    return encode(successor.until()) + ":" + Base64.getEncoder().encodeToString(
        successor.bytes());
  }

  /**
   * Rebuilds the session stored under {@code id} from its hash fields.
   *
   * @throws StoreCorruptedException if a field is missing or malformed
   */
  SessionRecord decodeSession(String id, Map<String, String> fields) {
    try {
      Session session = new Session(
          SessionId.parse(id),
          required(fields, SUBJECT),
          fields.get(LABEL),
          decode(required(fields, CREATED)),
          decode(required(fields, LAST_USED)),
          decode(required(fields, EXPIRES)));
      String network = fields.get(BOUND_NETWORK);
      String agent = fields.get(BOUND_AGENT);
      ClientBinding binding =
          network == null && agent == null ? null : new ClientBinding(network, agent);
      String refresh = fields.get(REFRESH);
      String revoked = fields.get(REVOKED);
      return new SessionRecord(session, binding, refresh == null ? null : hash(refresh),
          revoked == null ? null : decode(revoked));
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw corrupted(sessionPrefix() + id, e);
    }
  }

  /**
   * Rebuilds the token stored under {@code hash} from its hash fields and its stored successor
   * ({@code null} if none).
   *
   * @throws StoreCorruptedException if a field is missing or malformed
   */
  TokenRecord decodeToken(TokenHash hash, Map<String, String> fields, String successor) {
    try {
      String expires = fields.get(EXPIRES);
      String rotated = fields.get(ROTATED);
      SealedSuccessor sealed = null;
      if (successor != null && rotated != null) {
        int colon = successor.indexOf(':');
        sealed = SealedSuccessor.of(Base64.getDecoder().decode(successor.substring(colon + 1)),
            decode(successor.substring(0, colon)));
      }
      return new TokenRecord(hash, SessionId.parse(required(fields, SESSION_ID)),
          expires == null ? null : decode(expires), rotated == null ? null : decode(rotated),
          sealed);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      // Never name the full key: it holds a full hash. A fingerprint is enough to find it.
      throw corrupted(tokenPrefix() + hash.scheme() + ":" + hash.fingerprint() + "...", e);
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
    StringBuilder text = new StringBuilder(WIDTH);
    appendDigits(text, second + OFFSET, WIDTH - 9);
    appendDigits(text, instant.getNano(), 9);
    return text.toString();
  }

  /**
   * {@code value} in exactly {@code width} ASCII digits. Not by {@code String.format}, whose
   * digits are the default locale's (Arabic-Indic under {@code ar-SA}): the scripts compare these
   * texts byte by byte, with each other and with those other processes wrote.
   */
  private static void appendDigits(StringBuilder text, long value, int width) {
    String digits = Long.toString(value);
    text.append("0".repeat(width - digits.length())).append(digits);
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

  private static StoreCorruptedException corrupted(String where, RuntimeException e) {
    return new StoreCorruptedException("redis:" + where, 0, "malformed record: " + e.getMessage());
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
