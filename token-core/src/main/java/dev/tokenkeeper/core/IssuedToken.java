package dev.tokenkeeper.core;

import java.util.Objects;

/**
 * A token just issued: its secret, shown this once, and its session.
 *
 * <p>Send {@link #plaintext()} to the client once; never log or store it. Tokenkeeper keeps only
 * its hash, so it cannot be shown again. {@link #toString()} omits it.
 */
public final class IssuedToken {

  private final String plaintext;
  private final Session session;

  IssuedToken(String plaintext, Session session) {
    this.plaintext = Objects.requireNonNull(plaintext, "plaintext");
    this.session = Objects.requireNonNull(session, "session");
  }

  /** The bearer secret to hand to the client. Never log or store it. */
  public String plaintext() {
    return plaintext;
  }

  /** The session this token opens. */
  public Session session() {
    return session;
  }

  @Override
  public String toString() {
    return "IssuedToken[session=" + session.id() + ", subject=" + session.subject() + "]";
  }
}
