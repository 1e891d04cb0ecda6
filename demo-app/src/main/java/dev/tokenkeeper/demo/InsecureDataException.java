package dev.tokenkeeper.demo;

/** The data directory, or a file in it, is writable by others: the demo will not start. */
final class InsecureDataException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  InsecureDataException(String message) {
    super(message);
  }
}
