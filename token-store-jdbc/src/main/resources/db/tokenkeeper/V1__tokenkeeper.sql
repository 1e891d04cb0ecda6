-- Tokenkeeper schema, version 1, for PostgreSQL 12 or later.
--
-- Usable as it is as a Flyway migration (V1__tokenkeeper.sql) or a Liquibase sqlFile; the store's
-- createSchemaIfMissing option runs the same file. Every statement ends with a semicolon at the
-- end of a line, and no statement contains one elsewhere.
--
-- Instants are bigint nanoseconds since 1970-01-01T00:00:00Z: a store must give back exactly the
-- instants it was given, and timestamptz keeps microseconds only. To read one as a timestamp:
-- to_timestamp(expires_at / 1e9).
--
-- No secret is stored: a token is known by the digest of its secret only, and a sealed successor
-- is encrypted under a key that only the rotated token's secret gives.

CREATE TABLE tokenkeeper_session (
  -- The public session id, 22 base64url characters, compared bytewise ("C") so that every node
  -- locks sessions in the same order (see the store's Dialect).
  id              text   COLLATE "C" PRIMARY KEY,
  subject         text   NOT NULL,
  label           text,
  created_at      bigint NOT NULL,
  last_used_at    bigint NOT NULL,
  expires_at      bigint NOT NULL,     -- slides with use, never past the absolute lifetime
  binding_network text,
  binding_agent   text,
  refresh_hash    bytea,               -- the session's one current refresh token, or null
  revoked_at      bigint               -- set once, never cleared: a logout is final
);

CREATE INDEX tokenkeeper_session_subject ON tokenkeeper_session (subject);

CREATE INDEX tokenkeeper_session_expires ON tokenkeeper_session (expires_at);

CREATE TABLE tokenkeeper_token (
  hash            bytea  PRIMARY KEY,  -- scheme byte, then the SHA-256 digest of the secret
  session_id      text   COLLATE "C" NOT NULL REFERENCES tokenkeeper_session (id) ON DELETE CASCADE,
  expires_at      bigint,              -- own end (a paired access token), or null: the session's
  rotated_at      bigint,              -- a rotated refresh token stays as a tombstone
  successor       bytea,               -- the pair that replaced it, sealed, for the grace window
  successor_until bigint,
  CONSTRAINT tokenkeeper_token_successor_rotated
    CHECK ((successor IS NULL OR rotated_at IS NOT NULL)
      AND ((successor IS NULL) = (successor_until IS NULL)))
);

CREATE INDEX tokenkeeper_token_session ON tokenkeeper_token (session_id);

CREATE INDEX tokenkeeper_token_successor_until ON tokenkeeper_token (successor_until)
  WHERE successor_until IS NOT NULL;
