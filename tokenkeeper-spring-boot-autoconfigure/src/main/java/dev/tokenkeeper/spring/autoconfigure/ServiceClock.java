package dev.tokenkeeper.spring.autoconfigure;

import java.time.Clock;
import java.util.Objects;

/**
 * The clock the auto-configured {@code TokenService} reads instead of the system's, when the
 * store the starter built has one the service must share: the Redis store's Redis clock, so that
 * every instance on one Redis stamps last use and expiry alike. Absent when the application
 * defines its own store.
 */
record ServiceClock(Clock clock) {

  ServiceClock {
    Objects.requireNonNull(clock, "clock");
  }
}
