package dev.tokenkeeper.core;

class InMemoryTokenStoreTest implements TokenStoreContract {

  @Override
  public TokenStore newStore() {
    return new InMemoryTokenStore();
  }
}
