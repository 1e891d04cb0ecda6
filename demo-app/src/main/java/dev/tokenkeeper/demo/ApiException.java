package dev.tokenkeeper.demo;

/**
 * A request the demo refuses, carried to the one place that turns it into a JSON error response.
 * Its message is the {@code error_description} sent to the client: never a secret.
 */
final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String error;

  ApiException(int status, String error, String description) {
    super(description, null, false, false);
    this.status = status;
    this.error = error;
  }

  static ApiException badRequest(String description) {
    return new ApiException(400, "invalid_request", description);
  }

  static ApiException notFound(String description) {
    return new ApiException(404, "not_found", description);
  }

  int status() {
    return status;
  }

  String error() {
    return error;
  }
}
