package dev.tokenkeeper.core;

import java.util.Objects;

/**
 * A token found in a {@link TokenStore} together with its session, read as one: what
 * {@link TokenStore#find} returns, so a store that can join them (one round trip, one lookup
 * table) does. Immutable.
 *
 * @param token the token's record
 * @param session the record of the session it opens
 */
public record TokenEntry(TokenRecord token, SessionRecord session) {

  public TokenEntry {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(session, "session");
    if (!token.sessionId().equals(session.id())) {
      throw new IllegalArgumentException("token of session " + token.sessionId()
          + " paired with session " + session.id());
    }
  }
}
