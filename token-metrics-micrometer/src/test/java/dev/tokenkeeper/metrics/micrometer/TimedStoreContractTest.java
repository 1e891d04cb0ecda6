package dev.tokenkeeper.metrics.micrometer;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;

/** A timed store keeps every promise of the store it times: the whole contract, races included. */
class TimedStoreContractTest
    implements TokenStoreContract, TokenServiceContract, SessionRaceContract {

  @Override
  public TokenStore newStore(Clock clock) {
    return TokenMetrics.builder(new SimpleMeterRegistry()).build()
        .timed(new InMemoryTokenStore());
  }
}
