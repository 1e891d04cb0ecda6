package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.SessionId;
import java.security.Principal;
import java.util.Objects;

/**
 * The user a bearer token authenticated, as {@code HttpServletRequest.getUserPrincipal()} returns
 * it behind a {@link BearerTokenFilter}. {@link #getName()} is the subject, so
 * {@code getRemoteUser()} and the principal agree.
 *
 * <p>Immutable. Holds no secret: the session id names a device, it does not grant access.
 *
 * @param subject the user the token was issued to
 * @param sessionId the session (device) the token opens, to list or revoke it
 */
public record TokenPrincipal(String subject, SessionId sessionId) implements Principal {

  /** @throws NullPointerException if a field is {@code null} */
  public TokenPrincipal {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(sessionId, "sessionId");
  }

  /** The subject. */
  @Override
  public String getName() {
    return subject;
  }
}
