package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenEntry;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory store that counts lookups, to show which answers need none. */
final class CountingTokenStore extends ForwardingTokenStore {
  CountingTokenStore() {
    super(new InMemoryTokenStore());
  }


  private final AtomicInteger finds = new AtomicInteger();

  int finds() {
    return finds.get();
  }

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    finds.incrementAndGet();
    return super.find(hash);
  }
}
