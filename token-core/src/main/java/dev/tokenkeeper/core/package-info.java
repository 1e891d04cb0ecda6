/**
 * The pure domain of Tokenkeeper: opaque bearer tokens, their format and hashing, expiry rules, the
 * {@link dev.tokenkeeper.core.TokenStore} seam every persistence adapter implements, and the
 * {@link dev.tokenkeeper.core.TokenService} that issues, authenticates and revokes tokens.
 *
 * <p>This package has no dependencies and does not log: it returns typed results
 * ({@link dev.tokenkeeper.core.AuthResult}) and throws typed exceptions
 * ({@link dev.tokenkeeper.core.TokenkeeperException}). No {@code toString()} here prints a secret.
 */
package dev.tokenkeeper.core;
