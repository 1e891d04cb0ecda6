package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenStore;

/**
 * Wraps the store the service uses (the metrics binding times every call); the store bean itself
 * stays as it is, and is what the context closes.
 */
@FunctionalInterface
interface StoreDecorator {

  /** {@code store}, wrapped. */
  TokenStore decorate(TokenStore store);
}
