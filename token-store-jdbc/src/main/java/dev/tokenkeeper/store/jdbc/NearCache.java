package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A small time-bounded cache of tokens read from the database with their sessions, in front of
 * {@code find}; the same rules as the Redis store's near cache.
 *
 * <p><b>The bound.</b> An entry is served for at most {@code ttl} after it was read, so a
 * revocation made through another process is seen here within {@code ttl}; one made through this
 * store (a revoke, a logout everywhere, a rotation) drops the entries of that session or subject
 * at once. Misses are not cached: a token issued elsewhere works here at once. An entry whose
 * session ends within {@code ttl} of the clock's now is not served, so a sliding expiry extended
 * by another process is never mistaken here for an expired session.
 *
 * <p><b>A refresh never answers from here.</b> A token that is its session's current refresh
 * token, or that was rotated out, is never cached. So every refresh reads the database, and a
 * rotation's conditional {@code UPDATE} always runs on what the database holds.
 *
 * <p>Entries are the rows as read, before this process's buffered touches are laid over them.
 * Bounded to {@code maxEntries}; when full it is emptied, which costs only a round of reads. Age
 * is measured with the injected monotonic ticker, not the wall clock.
 *
 * <p>Thread-safe.
 */
final class NearCache {

  private record Entry(TokenEntry found, long readAtNanos) {}

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

  /** Whether {@code found} may be cached at all: never a refresh token (see the class notes). */
  static boolean mayCache(TokenEntry found) {
    return !found.token().isRotated()
        && !found.token().hash().equals(found.session().refreshHash());
  }

  /** The cached entry, or {@code null} if absent, too old, or too close to its expiry. */
  TokenEntry get(TokenHash hash) {
    Entry entry = entries.get(hash);
    if (entry == null) {
      return null;
    }
    if (ticker.getAsLong() - entry.readAtNanos >= ttlNanos) {
      entries.remove(hash, entry);
      return null;
    }
    if (!entry.found.session().expiresAt().isAfter(clock.instant().plus(ttl))) {
      return null;
    }
    return entry.found;
  }

  /** Call before reading from the database; pass the result to {@link #put}. */
  Stamp stamp() {
    return new Stamp(ticker.getAsLong(), invalidations.get());
  }

  /**
   * Caches {@code found}, read after {@code stamp} was taken, unless it is a refresh token
   * ({@link #mayCache}) or this store invalidated anything since: the read may predate that
   * change.
   */
  void put(TokenEntry found, Stamp stamp) {
    if (!mayCache(found)) {
      return;
    }
    if (entries.size() >= maxEntries) {
      entries.clear();
    }
    TokenHash hash = found.token().hash();
    entries.put(hash, new Entry(found, stamp.readAtNanos()));
    if (invalidations.get() != stamp.invalidations()) {
      entries.remove(hash);
    }
  }

  /** Drops every entry of session {@code id}: it was revoked or rotated here. */
  void invalidateSession(SessionId id) {
    invalidations.incrementAndGet();
    entries.values().removeIf(e -> e.found.session().id().equals(id));
  }

  /** Drops every entry of {@code subject}: a logout everywhere ran here. */
  void invalidateSubject(String subject) {
    invalidations.incrementAndGet();
    entries.values().removeIf(e -> e.found.session().subject().equals(subject));
  }

  void clear() {
    invalidations.incrementAndGet();
    entries.clear();
  }
}
