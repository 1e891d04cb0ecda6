package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Redis's clock ({@code TIME}) as seen from this process, so every instance on one Redis tells
 * the same time whatever its own clock says: the instants a {@code TokenService} on it records
 * (last use, expiry) and the expiry decisions it makes agree across instances, and a use recorded
 * through an instance whose clock runs fast is never in the others' future.
 *
 * <p>Each reading is the instance's {@code local} clock plus its offset from Redis's, measured
 * with one {@code TIME} at the midpoint of its round trip (off by at most half of it) and measured
 * again every {@link #EVERY}; between measurements it follows the local clock. It never moves
 * backwards: a new measurement a little behind the last reading holds it still until it catches
 * up. Until the first measurement succeeds there is no time to give: {@link #instant()} then
 * measures, and throws {@link StoreUnavailableException} if Redis does not answer, as every store
 * call would. On a cluster, {@code TIME} runs on the node holding {@code sampleKey}'s slot (a
 * script given that key), so all instances with one key prefix read the same node's clock.
 *
 * <p>Thread-safe.
 */
final class RedisClock extends Clock {

  private static final LuaScript TIME = LuaScript.load("time");

  /** How often the offset is measured again: drift between two is far below a millisecond. */
  static final Duration EVERY = Duration.ofSeconds(10);

  private final RedisCommands redis;
  private final Clock local;
  private final String sampleKey;
  private final LongSupplier ticker;
  /** Redis's clock minus the local clock, in microseconds; {@code null} before a measurement. */
  private volatile Long offsetMicros;
  private final AtomicLong lastMicros = new AtomicLong(Long.MIN_VALUE);

  RedisClock(RedisCommands redis, Clock local, String sampleKey, LongSupplier ticker) {
    this.redis = redis;
    this.local = local;
    this.sampleKey = sampleKey;
    this.ticker = ticker;
  }

  @Override
  public Instant instant() {
    Long offset = offsetMicros;
    if (offset == null) {
      measure();
      offset = offsetMicros;
    }
    long micros = lastMicros.accumulateAndGet(micros(local.instant()) + offset, Math::max);
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000),
        Math.floorMod(micros, 1_000_000) * 1_000L);
  }

  /**
   * Measures the offset from Redis's clock now.
   *
   * @throws StoreUnavailableException if Redis does not answer
   */
  void measure() {
    long sent = ticker.getAsLong();
    Instant localSent = local.instant();
    List<String> time = RedisCommands.texts(redis.read(TIME, List.of(sampleKey), List.of()));
    long halfTrip = (ticker.getAsLong() - sent) / 2_000;
    long redisMicros = Long.parseLong(time.get(0)) * 1_000_000 + Long.parseLong(time.get(1));
    offsetMicros = redisMicros - (micros(localSent) + halfTrip);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  /** The same readings, in {@code zone}. */
  @Override
  public Clock withZone(ZoneId zone) {
    if (ZoneOffset.UTC.equals(zone)) {
      return this;
    }
    RedisClock utc = this;
    return new Clock() {
      @Override
      public Instant instant() {
        return utc.instant();
      }

      @Override
      public ZoneId getZone() {
        return zone;
      }

      @Override
      public Clock withZone(ZoneId other) {
        return utc.withZone(other);
      }
    };
  }

  @Override
  public String toString() {
    return "RedisClock[" + redis.server() + "]";
  }

  private static long micros(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000),
        instant.getNano() / 1_000);
  }
}
