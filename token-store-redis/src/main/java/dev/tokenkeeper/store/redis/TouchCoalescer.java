package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the touch that every authenticated request makes into at most one Redis write per session
 * per interval, as the file store does with its log.
 *
 * <p>The first touch of a session, and the first one at least {@code interval} (in the touch's own
 * {@code lastUsedAt} time) after the last written one, is written at once; the touches between
 * are only remembered, as the latest last use and expiry seen, and written by {@link #drain()}
 * (the store's flusher, every interval, and its {@code close()}). This process's reads overlay
 * the latest values, so it never sees a session older than it last touched.
 *
 * <p>The map is bounded: past {@code maxEntries} sessions the store drains it and starts afresh, so
 * the next touch of each session is written at once again. A touch still in the map when the
 * process dies is lost; that makes a session look older by at most one interval, and with an
 * idle timeout may end it up to one interval early, never late.
 *
 * <p>Thread-safe. Each entry's fields are guarded by the entry itself; no lock spans I/O.
 */
final class TouchCoalescer {

  /** One write the store owes Redis. */
  record Touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {}

  private static final class Entry {
    Instant lastUsedAt;
    Instant expiresAt;
    Instant writtenLastUsedAt;
    boolean dirty;
  }

  private final Duration interval;
  private final int maxEntries;
  private final Map<SessionId, Entry> entries = new ConcurrentHashMap<>();

  TouchCoalescer(Duration interval, int maxEntries) {
    this.interval = interval;
    this.maxEntries = maxEntries;
  }

  /** Whether the map is full and should be drained and cleared before more sessions join it. */
  boolean isFull() {
    return entries.size() >= maxEntries;
  }

  /**
   * Records a touch.
   *
   * @return the write to make now, or {@code null} if this touch was coalesced
   */
  Touch offer(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Entry entry = entries.computeIfAbsent(id, h -> new Entry());
    synchronized (entry) {
      entry.lastUsedAt = later(entry.lastUsedAt, lastUsedAt);
      entry.expiresAt = later(entry.expiresAt, expiresAt);
      if (entry.writtenLastUsedAt != null
          && lastUsedAt.isBefore(entry.writtenLastUsedAt.plus(interval))) {
        entry.dirty = true;
        return null;
      }
      entry.writtenLastUsedAt = entry.lastUsedAt;
      entry.dirty = false;
      return new Touch(id, entry.lastUsedAt, entry.expiresAt);
    }
  }

  /** Marks a write that failed as owed again, so the next drain retries it. */
  void failed(Touch touch) {
    Entry entry = entries.get(touch.id());
    if (entry != null) {
      synchronized (entry) {
        entry.dirty = true;
      }
    }
  }

  /** Takes every owed write; the caller makes them or hands them back with {@link #failed}. */
  List<Touch> drain() {
    List<Touch> owed = new ArrayList<>();
    for (Map.Entry<SessionId, Entry> e : entries.entrySet()) {
      Entry entry = e.getValue();
      synchronized (entry) {
        if (entry.dirty) {
          entry.dirty = false;
          entry.writtenLastUsedAt = entry.lastUsedAt;
          owed.add(new Touch(e.getKey(), entry.lastUsedAt, entry.expiresAt));
        }
      }
    }
    return owed;
  }

  /** Forgets every session; call after a {@link #drain()} when {@link #isFull()}. */
  void clear() {
    entries.clear();
  }

  /** {@code record} with the latest last use and expiry this process has seen for it. */
  SessionRecord overlay(SessionRecord record) {
    if (record.isRevoked()) {
      return record;
    }
    Entry entry = entries.get(record.id());
    if (entry == null) {
      return record;
    }
    Instant lastUsedAt;
    Instant expiresAt;
    synchronized (entry) {
      lastUsedAt = entry.lastUsedAt;
      expiresAt = entry.expiresAt;
    }
    // SessionRecord.touchedAt: both only move forward, as the touch script applies them.
    return record.touchedAt(lastUsedAt, expiresAt);
  }

  private static Instant later(Instant current, Instant candidate) {
    return current == null || candidate.isAfter(current) ? candidate : current;
  }
}
