package dev.tokenkeeper.store.jdbc;

import java.sql.BatchUpdateException;
import java.sql.SQLException;

/**
 * Every statement the store runs, for one database, and how that database's errors are read: the
 * one place SQL lives, so another database is one more instance of this class and one more schema
 * resource. Today that is {@link #POSTGRESQL}.
 *
 * <p>Columns are read by position, in the orders {@link #SESSION_COLUMNS} and
 * {@link #TOKEN_COLUMNS} give; {@link Rows} binds and reads them.
 *
 * <h2>Locks</h2>
 *
 * Every statement that waits for a row lock takes session rows before token rows, and several
 * session rows in id order, so two instances (or two threads) can never wait on each other in a
 * cycle: rotation locks its session, then its token; logout-all locks the subject's sessions in id
 * order ({@code FOR UPDATE} in a subquery); a touch flush updates sessions in id order; purging
 * takes only rows nobody holds ({@code FOR UPDATE SKIP LOCKED}), so instances purging at once
 * share the work instead of queueing on each other, unlike a plain {@code DELETE ... WHERE expiry
 * < ?} that two nodes run over the same rows.
 *
 * <p>Rules ride in the {@code WHERE} clauses: under PostgreSQL's default isolation, READ
 * COMMITTED, an {@code UPDATE} that waited for a row re-checks its condition against the row as
 * the other transaction left it, so a rotation that lost to a logout or another rotation updates
 * nothing, and a touch never changes a revoked session.
 *
 * <p>Immutable.
 */
final class Dialect {

  /** The session columns in the order {@link Rows#session} reads them. */
  static final String SESSION_COLUMNS = "s.id, s.subject, s.label, s.created_at, s.last_used_at,"
      + " s.expires_at, s.binding_network, s.binding_agent, s.refresh_hash, s.revoked_at";

  /** The token columns in the order {@link Rows#token} reads them. */
  static final String TOKEN_COLUMNS =
      "t.hash, t.session_id, t.expires_at, t.rotated_at, t.successor, t.successor_until";

  static final Dialect POSTGRESQL = new Dialect(
      "PostgreSQL",
      "db/tokenkeeper/V1__tokenkeeper.sql",
      "SELECT to_regclass('tokenkeeper_session') IS NOT NULL",
      // Two instances starting on an empty database: the second waits, then finds the tables.
      "SELECT pg_advisory_xact_lock(7306916402866021227)",
      "SELECT " + TOKEN_COLUMNS + ", " + SESSION_COLUMNS
          + " FROM tokenkeeper_token t JOIN tokenkeeper_session s ON s.id = t.session_id"
          + " WHERE t.hash = ?",
      "SELECT " + SESSION_COLUMNS + " FROM tokenkeeper_session s WHERE s.id = ?",
      "SELECT " + SESSION_COLUMNS + " FROM tokenkeeper_session s WHERE s.subject = ?",
      "INSERT INTO tokenkeeper_session (id, subject, label, created_at, last_used_at, expires_at,"
          + " binding_network, binding_agent, refresh_hash, revoked_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "INSERT INTO tokenkeeper_token (hash, session_id, expires_at, rotated_at, successor,"
          + " successor_until) VALUES (?, ?, ?, ?, ?, ?)",
      "UPDATE tokenkeeper_session SET refresh_hash = ?,"
          + " last_used_at = GREATEST(last_used_at, ?), expires_at = GREATEST(expires_at, ?)"
          + " WHERE id = ? AND revoked_at IS NULL"
          + " AND refresh_hash IS NOT DISTINCT FROM CAST(? AS bytea) AND expires_at > ?",
      "UPDATE tokenkeeper_token SET rotated_at = ?, successor = ?, successor_until = ?"
          + " WHERE hash = ? AND session_id = ? AND rotated_at IS NULL",
      "UPDATE tokenkeeper_token SET successor = NULL, successor_until = NULL"
          + " WHERE session_id = ? AND successor_until <= ?",
      "UPDATE tokenkeeper_session SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      "WITH revoked AS (UPDATE tokenkeeper_session SET revoked_at = ? WHERE id IN ("
          + "SELECT id FROM tokenkeeper_session WHERE subject = ? AND revoked_at IS NULL"
          + " ORDER BY id FOR UPDATE) RETURNING expires_at)"
          + " SELECT count(*) FROM revoked WHERE expires_at > ?",
      "UPDATE tokenkeeper_session SET last_used_at = GREATEST(last_used_at, ?),"
          + " expires_at = GREATEST(expires_at, ?) WHERE id = ? AND revoked_at IS NULL",
      "DELETE FROM tokenkeeper_session WHERE id IN (SELECT id FROM tokenkeeper_session"
          + " WHERE expires_at <= ? LIMIT ? FOR UPDATE SKIP LOCKED)",
      "UPDATE tokenkeeper_token SET successor = NULL, successor_until = NULL WHERE hash IN ("
          + "SELECT hash FROM tokenkeeper_token WHERE successor_until <= ?"
          + " LIMIT ? FOR UPDATE SKIP LOCKED)");

  final String name;
  /** The DDL, as a classpath resource; see {@link Schema}. */
  final String schemaResource;
  /** One row, one boolean: whether the tables exist. */
  final String schemaPresent;
  /** Serialises schema creation across instances until the transaction ends. */
  final String schemaLock;
  final String find;
  final String findSession;
  final String findSessions;
  final String insertSession;
  final String insertToken;
  /** The compare-and-set on the session: the first, locking step of a rotation. */
  final String rotateSession;
  /** The rotated token becomes a tombstone, if not rotated already. */
  final String rotateToken;
  /** Forgets the session's sealed successors whose grace window has passed. */
  final String rotateDropsSuccessors;
  final String revokeSession;
  /** One statement: revokes, and counts the sessions that were live at the instant. */
  final String revokeAll;
  final String touch;
  /** Deletes a bounded batch of expired sessions; their tokens go with them (cascade). */
  final String purgeSessions;
  /** Forgets a bounded batch of sealed successors whose grace window has passed. */
  final String purgeSuccessors;

  private Dialect(String name, String schemaResource, String schemaPresent, String schemaLock,
      String find, String findSession, String findSessions, String insertSession,
      String insertToken, String rotateSession, String rotateToken,
      String rotateDropsSuccessors, String revokeSession,
      String revokeAll, String touch, String purgeSessions, String purgeSuccessors) {
    this.name = name;
    this.schemaResource = schemaResource;
    this.schemaPresent = schemaPresent;
    this.schemaLock = schemaLock;
    this.find = find;
    this.findSession = findSession;
    this.findSessions = findSessions;
    this.insertSession = insertSession;
    this.insertToken = insertToken;
    this.rotateSession = rotateSession;
    this.rotateToken = rotateToken;
    this.rotateDropsSuccessors = rotateDropsSuccessors;
    this.revokeSession = revokeSession;
    this.revokeAll = revokeAll;
    this.touch = touch;
    this.purgeSessions = purgeSessions;
    this.purgeSuccessors = purgeSuccessors;
  }

  /** Whether {@code e} says a primary key is taken: a caller's duplicate, not an outage. */
  boolean isDuplicateKey(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  /** Whether the duplicate key {@code e} reports is a session's (else a token's). */
  boolean isDuplicateSession(SQLException e) {
    String message = e.getMessage();
    return message != null && message.contains("tokenkeeper_session_pkey");
  }

  /**
   * Whether {@code e}'s message may quote stored values (PostgreSQL's detail line repeats the
   * offending key or value for integrity and data errors), so it must not travel as a cause.
   */
  boolean mayQuoteValues(SQLException e) {
    String state = e.getSQLState();
    // A batch's error quotes the failed statement with its parameters (a token hash among them),
    // whatever the cause: a timeout or a lost connection as much as a bad value.
    return e instanceof BatchUpdateException
        || state == null || state.startsWith("22") || state.startsWith("23");
  }

  /**
   * Whether a rotation that failed with {@code e} simply lost a race (serialization failure or
   * deadlock victim under a stricter isolation than the default): nothing was applied.
   */
  boolean isLostRace(SQLException e) {
    return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
  }
}
