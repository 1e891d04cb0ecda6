package dev.tokenkeeper.core;

/**
 * Base of the exceptions that mean the environment failed (storage, network), as opposed to a
 * refused token (an {@link AuthResult}) or a caller's bug (an {@link IllegalArgumentException} or
 * {@link IllegalStateException}). Messages never hold a secret or a full hash.
 */
public class TokenkeeperException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public TokenkeeperException(String message) {
    super(message);
  }

  public TokenkeeperException(String message, Throwable cause) {
    super(message, cause);
  }
}
