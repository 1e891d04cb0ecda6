package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import dev.tokenkeeper.core.TwoInstancesContract;
import java.time.Clock;

/**
 * token-core's contracts (the SPI, the service's promises, the logout races) on a Redis store
 * that a test class configures in {@link #builder}, once per deployment (one Redis, a cluster)
 * and option set. A reopen closes the store and builds a new one on the same Redis and key
 * prefix, as a restarted instance would; a crash drops it unclosed first. A second instance is
 * another such store beside the first.
 */
interface RedisContracts extends TokenStoreContract, TokenServiceContract, SessionRaceContract,
    TwoInstancesContract {

  /** A store of this test's deployment and options on its prefix, reading {@code clock}. */
  RedisTokenStore.Builder builder(Clock clock);

  @Override
  default TokenStore newStore(Clock clock) {
    return builder(clock).build();
  }

  @Override
  default TokenStore reopen(TokenStore store) {
    store.close();
    return newStore(clock());
  }

  /** Another client, with a pool of its own, on the same Redis and prefix. */
  @Override
  default TokenStore secondInstance(TokenStore first) {
    return newStore(clock());
  }

  /**
   * A crash of this instance, not of Redis: the store is dropped without a close (its owed
   * touches never written) and a new one opens on the same Redis and prefix.
   */
  @Override
  default TokenStore reopenAfterCrash(TokenStore store) {
    ((RedisTokenStore) store).abandon();
    return newStore(clock());
  }

  /** 100 trials per pairing unless the property says otherwise: CI time; a long run sets it. */
  @Override
  default int raceTrials() {
    return Integer.getInteger("tokenkeeper.raceTrials", 100);
  }
}
