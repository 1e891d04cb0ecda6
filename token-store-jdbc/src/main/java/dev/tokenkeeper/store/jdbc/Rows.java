package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Arrays;

/**
 * Turns records into statement parameters and result rows back into records, in the column
 * orders of {@link Dialect}.
 *
 * <p>An instant is stored as nanoseconds since the epoch in a {@code bigint} (years 1677 to 2262)
 * because the contract gives back exactly what was stored; a token hash as one scheme byte and
 * its digest; a session id as its 22-character text, as users and logs see it.
 *
 * <p>Stateless; its methods are thread-safe.
 */
final class Rows {

  private static final long NANOS = 1_000_000_000L;

  private Rows() {}

  /** Binds {@code session} to the ten parameters of {@link Dialect#insertSession}. */
  static void bindSession(PreparedStatement statement, SessionRecord record) throws SQLException {
    Session session = record.session();
    statement.setString(1, session.id().value());
    statement.setString(2, session.subject());
    statement.setString(3, session.label());
    statement.setLong(4, nanos(session.createdAt()));
    statement.setLong(5, nanos(session.lastUsedAt()));
    statement.setLong(6, nanos(session.expiresAt()));
    ClientBinding binding = record.binding();
    statement.setString(7, binding == null ? null : binding.network());
    statement.setString(8, binding == null ? null : binding.userAgentDigest());
    setHash(statement, 9, record.refreshHash());
    setInstant(statement, 10, record.revokedAt());
  }

  /** Binds {@code token} to the six parameters of {@link Dialect#insertToken}. */
  static void bindToken(PreparedStatement statement, TokenRecord token) throws SQLException {
    setHash(statement, 1, token.hash());
    statement.setString(2, token.sessionId().value());
    setInstant(statement, 3, token.expiresAt());
    setInstant(statement, 4, token.rotatedAt());
    SealedSuccessor successor = token.successor();
    statement.setBytes(5, successor == null ? null : successor.bytes());
    setInstant(statement, 6, successor == null ? null : successor.until());
  }

  /** The session in the ten columns from {@code first} on. */
  static SessionRecord session(ResultSet row, int first) throws SQLException {
    Session session = new Session(
        SessionId.parse(row.getString(first)),
        row.getString(first + 1),
        row.getString(first + 2),
        instant(row, first + 3),
        instant(row, first + 4),
        instant(row, first + 5));
    String network = row.getString(first + 6);
    String agent = row.getString(first + 7);
    ClientBinding binding =
        network == null && agent == null ? null : new ClientBinding(network, agent);
    return new SessionRecord(session, binding, hash(row.getBytes(first + 8)),
        instant(row, first + 9));
  }

  /** The token in the six columns from {@code first} on. */
  static TokenRecord token(ResultSet row, int first) throws SQLException {
    byte[] sealed = row.getBytes(first + 4);
    SealedSuccessor successor =
        sealed == null ? null : SealedSuccessor.of(sealed, instant(row, first + 5));
    return new TokenRecord(hash(row.getBytes(first)), SessionId.parse(row.getString(first + 1)),
        instant(row, first + 2), instant(row, first + 3), successor);
  }

  /** A hash as stored: its scheme byte, then its digest. */
  static byte[] bytes(TokenHash hash) {
    byte[] digest = hash.bytes();
    byte[] stored = new byte[1 + digest.length];
    stored[0] = (byte) hash.scheme();
    System.arraycopy(digest, 0, stored, 1, digest.length);
    return stored;
  }

  static void setHash(PreparedStatement statement, int index, TokenHash hash)
      throws SQLException {
    if (hash == null) {
      statement.setNull(index, Types.BINARY);
    } else {
      statement.setBytes(index, bytes(hash));
    }
  }

  static void setInstant(PreparedStatement statement, int index, Instant instant)
      throws SQLException {
    if (instant == null) {
      statement.setNull(index, Types.BIGINT);
    } else {
      statement.setLong(index, nanos(instant));
    }
  }

  /**
   * {@code instant} as nanoseconds since the epoch.
   *
   * @throws IllegalArgumentException if it is outside the years 1677 to 2262
   */
  static long nanos(Instant instant) {
    try {
      return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), NANOS), instant.getNano());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("instant outside the years 1677 to 2262: " + instant);
    }
  }

  private static Instant instant(ResultSet row, int index) throws SQLException {
    long nanos = row.getLong(index);
    return row.wasNull() ? null : Instant.ofEpochSecond(0, nanos);
  }

  private static TokenHash hash(byte[] stored) {
    return stored == null ? null
        : TokenHash.of(stored[0] & 0xff, Arrays.copyOfRange(stored, 1, stored.length));
  }
}
