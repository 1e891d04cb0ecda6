package dev.tokenkeeper.core;

/**
 * The store cannot serve the call right now: an I/O error, a failed fsync, a server that does not
 * answer. Nothing was acknowledged. Web adapters answer 503 and never let the request through.
 */
public class StoreUnavailableException extends TokenkeeperException {

  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message) {
    super(message);
  }

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
