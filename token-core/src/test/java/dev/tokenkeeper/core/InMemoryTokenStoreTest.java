package dev.tokenkeeper.core;

import java.time.Clock;

class InMemoryTokenStoreTest
    implements TokenStoreContract, TokenServiceContract, SessionRaceContract {

  @Override
  public TokenStore newStore(Clock clock) {
    return new InMemoryTokenStore();
  }
}
