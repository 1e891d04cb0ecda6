package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A small time-bounded cache of records read from Redis, in front of {@code find}.
 *
 * <p><b>The bound.</b> An entry is served for at most {@code ttl} after it was read, so a
 * revocation made through another process is seen here within {@code ttl}; one made through this
 * process drops the entry at once. Misses are not cached: a token issued elsewhere works here at
 * once. An entry whose session ends within {@code ttl} of the clock's now is not served, so a
 * sliding expiry extended by another process is never mistaken here for an expired session.
 *
 * <p>Bounded to {@code maxEntries}; when full it is emptied, which costs only a round of reads.
 * Age is measured with the injected monotonic ticker, not the wall clock.
 *
 * <p>Thread-safe.
 */
final class NearCache {

  private record Entry(TokenRecord record, long readAtNanos) {}

  /** Taken before a read; a put whose read raced a local invalidation is dropped. */
  record Stamp(long readAtNanos, long invalidations) {}

  private final long ttlNanos;
  private final Duration ttl;
  private final int maxEntries;
  private final LongSupplier ticker;
  private final Clock clock;
  private final Map<TokenHash, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong invalidations = new AtomicLong();

  NearCache(Duration ttl, int maxEntries, LongSupplier ticker, Clock clock) {
    this.ttl = ttl;
    this.ttlNanos = ttl.toNanos();
    this.maxEntries = maxEntries;
    this.ticker = ticker;
    this.clock = clock;
  }

  /** The cached record, or {@code null} if absent, too old, or too close to its expiry. */
  TokenRecord get(TokenHash hash) {
    Entry entry = entries.get(hash);
    if (entry == null) {
      return null;
    }
    if (ticker.getAsLong() - entry.readAtNanos >= ttlNanos) {
      entries.remove(hash, entry);
      return null;
    }
    if (!entry.record.session().expiresAt().isAfter(clock.instant().plus(ttl))) {
      return null;
    }
    return entry.record;
  }

  /** Call before reading from Redis; pass the result to {@link #put}. */
  Stamp stamp() {
    return new Stamp(ticker.getAsLong(), invalidations.get());
  }

  /**
   * Caches {@code record}, read after {@code stamp} was taken, unless this process revoked or
   * deleted anything since: the read may predate that change.
   */
  void put(TokenRecord record, Stamp stamp) {
    if (entries.size() >= maxEntries) {
      entries.clear();
    }
    entries.put(record.hash(), new Entry(record, stamp.readAtNanos()));
    if (invalidations.get() != stamp.invalidations()) {
      entries.remove(record.hash());
    }
  }

  void invalidate(TokenHash hash) {
    invalidations.incrementAndGet();
    entries.remove(hash);
  }

  void invalidateSubject(String subject) {
    invalidations.incrementAndGet();
    entries.values().removeIf(e -> e.record.session().subject().equals(subject));
  }

  void clear() {
    invalidations.incrementAndGet();
    entries.clear();
  }
}
