package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.SecurityEvent;
import dev.tokenkeeper.core.SecurityEventListener;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.TokenMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;

/** How the overhead benchmarks observe a service: the sides they compare (public for JMH). */
public enum Observation {
  /** No listener, the store as it is: the baseline. */
  OFF,
  /** One inline listener that only counts events: the cost of building and handing them over. */
  EVENTS,
  /** The same counting listener, queued (the default delivery): the cost of the queue. */
  QUEUED,
  /** A queued listener sleeping 10 ms per event, like a slow remote audit sink: the queue soon
   *  fills, and the cost is that of dropping. */
  SLOW_LISTENER,
  /** token-metrics-micrometer as advised for a store answering from memory: counters and
   *  {@code timedWrites}. */
  METRICS,
  /** Counters and {@code timed}: every store call timed, lookups included. */
  METRICS_ALL_TIMED;

  /** A service over {@code store} observed this way; {@link #EVENTS} counts into {@code heard}. */
  TokenService service(TokenStore store, MeterRegistry registry, LongAdder heard) {
    TokenService.Builder builder = TokenService.builder();
    switch (this) {
      case OFF -> builder.store(store);
      case EVENTS, QUEUED -> builder.store(store).eventListeners(counting(heard, this == EVENTS));
      case SLOW_LISTENER -> builder.store(store).eventListeners(new SecurityEventListener() {
        @Override
        public void onEvent(SecurityEvent event) {
          sleep();
        }

        @Override
        public void onAuthenticated(Session session) {
          sleep();
        }
      });
      case METRICS, METRICS_ALL_TIMED -> {
        TokenMetrics metrics = TokenMetrics.builder(registry).build();
        builder.store(this == METRICS ? metrics.timedWrites(store) : metrics.timed(store))
            .eventListeners(metrics);
      }
      default -> throw new AssertionError(this);
    }
    return builder.build();
  }

  private static SecurityEventListener counting(LongAdder heard, boolean inline) {
    return new SecurityEventListener() {
      @Override
      public void onEvent(SecurityEvent event) {
        heard.increment();
      }

      @Override
      public void onAuthenticated(Session session) {
        heard.increment();
      }

      @Override
      public boolean deliverInline() {
        return inline;
      }
    };
  }

  private static void sleep() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
