package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Clock;

/** The compact index alone, held to the whole store contract as any store is. */
class CompactLiveIndexTest
    implements TokenStoreContract, TokenServiceContract, SessionRaceContract {

  @Override
  public TokenStore newStore(Clock clock) {
    return new CompactLiveIndex();
  }
}
