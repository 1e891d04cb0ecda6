package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenStore;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The health of a store other than the file store: UP when it answers a lookup, DOWN when it
 * throws (Redis or the database unreachable, the store closed). The lookup is of a session id no
 * one holds, so it costs one read and changes nothing. The file store, whose lookups are answered
 * from memory, has {@link FileStoreHealthIndicator}. Details: the store's kind and, when DOWN, a
 * fixed {@code reason} and the exception's type as {@code error}, never its message, which names
 * a host, port or directory; the WARN line Boot logs for a failed check has the whole exception.
 */
final class TokenStoreHealthIndicator extends AbstractHealthIndicator {

  static final String UNAVAILABLE =
      "the store did not answer a lookup; the log names the failure";

  /** 22 base64url characters of zero bits: well formed, and never issued in practice. */
  private static final SessionId PROBE = SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA");

  private final TokenStore store;

  TokenStoreHealthIndicator(TokenStore store) {
    super("Token store health check failed");
    this.store = store;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.withDetail("store", store.getClass().getSimpleName());
    try {
      store.findSession(PROBE);
    } catch (RuntimeException e) {
      // Boot's own "error" detail would be the message; keep the exception only for the log.
      builder.down(e).withDetail("error", e.getClass().getName()).withDetail("reason", UNAVAILABLE);
      return;
    }
    builder.up();
  }
}
