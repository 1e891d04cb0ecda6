package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
 * never spans I/O. To keep heap per record small, a subject with one token indexes the bare hash,
 * one with a few an exact-size array (replaced on change), and only one with many gets a set.
 */
final class LiveSet {

  private final ConcurrentHashMap<TokenHash, TokenRecord> byHash;
  /** Subjects with more tokens than this index them in a set rather than an array. */
  private static final int MAX_ARRAY = 16;

  /**
   * Guarded by {@code this}. Values are a {@link TokenHash}, a {@code TokenHash[]} of 2 to
   * {@link #MAX_ARRAY}, or a {@code Set<TokenHash>} of more.
   */
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
    bySubject.merge(record.session().subject(), record.hash(), LiveSet::with);
    return true;
  }

  synchronized List<TokenRecord> bySubject(String subject) {
    List<TokenRecord> records = new ArrayList<>();
    for (TokenHash hash : each(bySubject.get(subject))) {
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
    int count = 0;
    for (TokenHash hash : each(bySubject.get(subject))) {
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
    if (present != null) {
      Object rest = without(present, record.hash());
      if (rest == null) {
        bySubject.remove(subject);
      } else if (rest != present) {
        bySubject.put(subject, rest);
      }
    }
  }

  /** The index value {@code present} (a hash, array or set) with {@code hash} added. */
  private static Object with(Object present, Object added) {
    TokenHash hash = (TokenHash) added;
    if (present instanceof TokenHash single) {
      return new TokenHash[] {single, hash};
    }
    if (present instanceof TokenHash[] array) {
      if (array.length < MAX_ARRAY) {
        TokenHash[] more = Arrays.copyOf(array, array.length + 1);
        more[array.length] = hash;
        return more;
      }
      Set<TokenHash> set = new HashSet<>(Arrays.asList(array));
      set.add(hash);
      return set;
    }
    hashes(present).add(hash);
    return present;
  }

  /** The index value {@code present} without {@code hash}: null when nothing is left. */
  private static Object without(Object present, TokenHash hash) {
    if (present instanceof TokenHash single) {
      return single.equals(hash) ? null : present;
    }
    if (present instanceof TokenHash[] array) {
      int at = Arrays.asList(array).indexOf(hash);
      if (at < 0) {
        return present;
      }
      if (array.length == 2) {
        return array[1 - at];
      }
      TokenHash[] fewer = new TokenHash[array.length - 1];
      System.arraycopy(array, 0, fewer, 0, at);
      System.arraycopy(array, at + 1, fewer, at, array.length - at - 1);
      return fewer;
    }
    Set<TokenHash> set = hashes(present);
    set.remove(hash);
    return set.size() > MAX_ARRAY ? set : set.toArray(new TokenHash[0]);
  }

  /** The hashes an index value holds; none for null. */
  private static Iterable<TokenHash> each(Object present) {
    if (present == null) {
      return List.of();
    }
    if (present instanceof TokenHash single) {
      return List.of(single);
    }
    if (present instanceof TokenHash[] array) {
      return Arrays.asList(array);
    }
    return hashes(present);
  }

  @SuppressWarnings("unchecked")
  private static Set<TokenHash> hashes(Object indexed) {
    return (Set<TokenHash>) indexed;
  }
}
