package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link TokenStore} held in this process's memory only: for tests, and for single-process use
 * where losing every session on restart is acceptable. Nothing is durable.
 *
 * <p>Thread-safe; share one. {@link #find} is lock-free; changes that touch the per-subject index
 * take one lock, which never spans I/O.
 */
public final class InMemoryTokenStore implements TokenStore {

  private final Map<TokenHash, TokenRecord> byHash = new ConcurrentHashMap<>();
  /** Guarded by {@code this}. */
  private final Map<String, Set<TokenHash>> bySubject = new ConcurrentHashMap<>();

  private volatile boolean closed;

  /** An empty store. */
  public InMemoryTokenStore() {}

  @Override
  public synchronized void save(TokenRecord record) {
    Objects.requireNonNull(record, "record");
    requireOpen();
    if (byHash.putIfAbsent(record.hash(), record) != null) {
      throw new IllegalArgumentException("a record is already stored under " + record.hash());
    }
    bySubject.computeIfAbsent(record.session().subject(), s -> new HashSet<>()).add(record.hash());
  }

  @Override
  public Optional<TokenRecord> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    return Optional.ofNullable(byHash.get(hash));
  }

  @Override
  public synchronized List<TokenRecord> findBySubject(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    Set<TokenHash> hashes = bySubject.getOrDefault(subject, Set.of());
    List<TokenRecord> records = new ArrayList<>(hashes.size());
    for (TokenHash hash : hashes) {
      records.add(byHash.get(hash));
    }
    return records;
  }

  @Override
  public boolean revoke(TokenHash hash, Instant at) {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(at, "at");
    requireOpen();
    boolean[] revoked = {false};
    byHash.computeIfPresent(hash, (h, record) -> {
      revoked[0] = !record.isRevoked();
      return record.revokedAt(at);
    });
    return revoked[0];
  }

  @Override
  public synchronized int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    int count = 0;
    for (TokenHash hash : bySubject.getOrDefault(subject, Set.of())) {
      if (revoke(hash, at)) {
        count++;
      }
    }
    return count;
  }

  @Override
  public void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    // compute is atomic per key, so a racing revoke is either seen here or applied after us.
    byHash.computeIfPresent(
        hash, (h, record) -> record.isRevoked() ? record : record.touchedAt(lastUsedAt, expiresAt));
  }

  @Override
  public synchronized boolean delete(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    TokenRecord removed = byHash.remove(hash);
    if (removed == null) {
      return false;
    }
    unindex(removed);
    return true;
  }

  @Override
  public synchronized int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
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

  /** How many records are stored, revoked and expired ones included. */
  public int size() {
    return byHash.size();
  }

  @Override
  public void close() {
    closed = true;
  }

  private void unindex(TokenRecord record) {
    String subject = record.session().subject();
    Set<TokenHash> hashes = bySubject.get(subject);
    if (hashes != null) {
      hashes.remove(record.hash());
      if (hashes.isEmpty()) {
        bySubject.remove(subject);
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }
}
