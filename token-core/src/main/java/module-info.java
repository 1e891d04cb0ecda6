/**
 * Tokenkeeper's core: the token format, hashing, expiry rules, the {@code TokenStore} seam every
 * persistence adapter implements, and the {@code TokenService} that issues, authenticates and
 * revokes tokens. It requires nothing beyond {@code java.base}.
 */
module dev.tokenkeeper.core {
  exports dev.tokenkeeper.core;
}
