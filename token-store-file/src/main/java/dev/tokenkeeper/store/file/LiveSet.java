package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The records of a store held in memory: a hash map for lookups and a per-subject index. Both the
 * live path and replay change it through the same methods, so a replayed log rebuilds exactly the
 * state its calls left.
 *
 * <p>Thread-safe. {@link #get} is lock-free; changes to the index take this object's monitor, which
 * never spans I/O. To keep heap per record small, a subject with one token indexes the bare hash
 * and only a subject with several gets a set.
 */
final class LiveSet {

  private final ConcurrentHashMap<TokenHash, TokenRecord> byHash;
  /** Guarded by {@code this}. Values are a {@link TokenHash} or a {@code Set<TokenHash>}. */
  private final Map<String, Object> bySubject = new HashMap<>();

  LiveSet() {
    this.byHash = new ConcurrentHashMap<>();
  }

  TokenRecord get(TokenHash hash) {
    return byHash.get(hash);
  }

  int size() {
    return byHash.size();
  }

  Collection<TokenRecord> records() {
    return byHash.values();
  }

  long liveCount(Instant now) {
    return byHash.values().stream().filter(r -> r.isLiveAt(now)).count();
  }

  /** Adds a new record; false if one is already stored under its hash. */
  synchronized boolean add(TokenRecord record) {
    if (byHash.putIfAbsent(record.hash(), record) != null) {
      return false;
    }
    String subject = record.session().subject();
    Object present = bySubject.get(subject);
    if (present == null) {
      bySubject.put(subject, record.hash());
    } else if (present instanceof TokenHash single) {
      Set<TokenHash> set = new HashSet<>(4);
      set.add(single);
      set.add(record.hash());
      bySubject.put(subject, set);
    } else {
      hashes(present).add(record.hash());
    }
    return true;
  }

  synchronized List<TokenRecord> bySubject(String subject) {
    Object present = bySubject.get(subject);
    if (present == null) {
      return List.of();
    }
    if (present instanceof TokenHash single) {
      return List.of(byHash.get(single));
    }
    Set<TokenHash> set = hashes(present);
    List<TokenRecord> records = new ArrayList<>(set.size());
    for (TokenHash hash : set) {
      records.add(byHash.get(hash));
    }
    return records;
  }

  /** Revokes; true if a record not yet revoked was found. Atomic with a racing {@link #touch}. */
  boolean revoke(TokenHash hash, Instant at) {
    boolean[] revoked = {false};
    byHash.computeIfPresent(hash, (h, record) -> {
      revoked[0] = !record.isRevoked();
      return record.revokedAt(at);
    });
    return revoked[0];
  }

  synchronized int revokeAll(String subject, Instant at) {
    Object present = bySubject.get(subject);
    if (present == null) {
      return 0;
    }
    if (present instanceof TokenHash single) {
      return revoke(single, at) ? 1 : 0;
    }
    int count = 0;
    for (TokenHash hash : hashes(present)) {
      if (revoke(hash, at)) {
        count++;
      }
    }
    return count;
  }

  /** Moves last use and expiry forward; true if the record changed. Never touches a revoked one. */
  boolean touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    boolean[] changed = {false};
    byHash.computeIfPresent(hash, (h, record) -> {
      TokenRecord touched = record.isRevoked() ? record : record.touchedAt(lastUsedAt, expiresAt);
      changed[0] = touched != record;
      return touched;
    });
    return changed[0];
  }

  synchronized boolean delete(TokenHash hash) {
    TokenRecord removed = byHash.remove(hash);
    if (removed == null) {
      return false;
    }
    unindex(removed);
    return true;
  }

  synchronized int purge(Instant now) {
    int count = 0;
    for (var it = byHash.values().iterator(); it.hasNext(); ) {
      TokenRecord record = it.next();
      if (record.session().isExpiredAt(now)) {
        it.remove();
        unindex(record);
        count++;
      }
    }
    return count;
  }

  /**
   * Forgets {@code hash} if its record is revoked or expired at {@code now}: what compaction drops.
   *
   * @return the record if it is still here and live, else null
   */
  synchronized TokenRecord dropIfDead(TokenHash hash, Instant now) {
    TokenRecord record = byHash.get(hash);
    if (record == null || record.isLiveAt(now)) {
      return record;
    }
    byHash.remove(hash);
    unindex(record);
    return null;
  }

  /** Replays one entry read back from a log or snapshot. */
  void apply(LogEntry entry) {
    if (entry instanceof LogEntry.Save save) {
      // A duplicate can only be a re-import of a legacy file; the first record stays.
      add(save.record());
    } else if (entry instanceof LogEntry.Revoke revoke) {
      revoke(revoke.hash(), revoke.at());
    } else if (entry instanceof LogEntry.Touch touch) {
      touch(touch.hash(), touch.lastUsedAt(), touch.expiresAt());
    } else if (entry instanceof LogEntry.Delete delete) {
      delete(delete.hash());
    } else if (entry instanceof LogEntry.Purge purge) {
      purge(purge.now());
    } else if (entry instanceof LogEntry.RevokeAll all) {
      revokeAll(all.subject(), all.at());
    }
  }

  private void unindex(TokenRecord record) {
    String subject = record.session().subject();
    Object present = bySubject.get(subject);
    if (present instanceof TokenHash single) {
      if (single.equals(record.hash())) {
        bySubject.remove(subject);
      }
    } else if (present != null) {
      Set<TokenHash> set = hashes(present);
      set.remove(record.hash());
      if (set.size() == 1) {
        bySubject.put(subject, set.iterator().next());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Set<TokenHash> hashes(Object indexed) {
    return (Set<TokenHash>) indexed;
  }
}
