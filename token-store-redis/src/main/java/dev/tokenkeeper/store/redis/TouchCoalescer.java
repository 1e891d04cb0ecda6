package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>The map is bounded: past {@code maxEntries} sessions the store drains it and starts afresh
 * ({@link #clear()}), so the next touch of each session is written at once again. A write still
 * owed when the map is cleared (the drain failed: Redis was down) is dropped, counted in
 * {@link #dropped()} and logged at WARN, at most once a minute with the count since the last
 * warning. A dropped write, like a touch still in the map when the process dies, makes a session
 * look older by at most one interval, and with an idle timeout may end it up to one interval
 * early, never late.
 *
 * <p>Thread-safe. Each entry's fields are guarded by the entry itself; no lock spans I/O. An
 * entry {@link #clear()} removed is marked retired under its lock, so a touch that raced the
 * clear either counts as dropped or lands in a fresh entry, never in neither.
 */
final class TouchCoalescer {

  private static final Logger LOG = LoggerFactory.getLogger(TouchCoalescer.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** One write the store owes Redis. */
  record Touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {}

  private static final class Entry {
    Instant lastUsedAt;
    Instant expiresAt;
    Instant writtenLastUsedAt;
    boolean dirty;
    boolean retired;
  }

  private final Duration interval;
  private final int maxEntries;
  private final LongSupplier ticker;
  private final Map<SessionId, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedUnreported = new AtomicLong();
  private final AtomicLong nextWarning;

  /**
   * @param ticker monotonic nanoseconds, which space the overflow warnings
   */
  TouchCoalescer(Duration interval, int maxEntries, LongSupplier ticker) {
    this.interval = interval;
    this.maxEntries = maxEntries;
    this.ticker = ticker;
    this.nextWarning = new AtomicLong(ticker.getAsLong());
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
    while (true) {
      Entry entry = entries.computeIfAbsent(id, h -> new Entry());
      synchronized (entry) {
        if (!entry.retired) {
          return offer(id, entry, lastUsedAt, expiresAt);
        }
      }
    }
  }

  /** The caller holds {@code entry}'s lock. */
  private Touch offer(SessionId id, Entry entry, Instant lastUsedAt, Instant expiresAt) {
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

  /**
   * Marks a write that failed as owed again, so the next drain retries it; if the map was cleared
   * meanwhile, the session joins it afresh with the write owed.
   */
  void failed(Touch touch) {
    while (true) {
      Entry entry = entries.computeIfAbsent(touch.id(), h -> new Entry());
      synchronized (entry) {
        if (!entry.retired) {
          entry.lastUsedAt = later(entry.lastUsedAt, touch.lastUsedAt());
          entry.expiresAt = later(entry.expiresAt, touch.expiresAt());
          entry.dirty = true;
          return;
        }
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

  /**
   * Forgets every session; call after a {@link #drain()} when {@link #isFull()}. Each write still
   * owed is dropped: counted, and logged at WARN at most once a minute.
   *
   * @return the owed writes this call dropped
   */
  int clear() {
    int lost = 0;
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      it.remove();
      synchronized (entry) {
        entry.retired = true;
        if (entry.dirty) {
          lost++;
        }
      }
    }
    if (lost > 0) {
      dropped.addAndGet(lost);
      droppedUnreported.addAndGet(lost);
      warnRateLimited();
    }
    return lost;
  }

  /** Owed writes dropped by {@link #clear()} since this coalescer was made. */
  long dropped() {
    return dropped.get();
  }

  private void warnRateLimited() {
    long now = ticker.getAsLong();
    long due = nextWarning.get();
    if (now - due >= 0 && nextWarning.compareAndSet(due, now + WARN_EVERY_NANOS)) {
      LOG.warn("touch map full ({} sessions) while Redis did not take the owed writes: dropped"
          + " {} sliding-expiry updates ({} since start); those sessions may look up to {} older"
          + " and end that much early; next such warning in a minute at the earliest",
          maxEntries, droppedUnreported.getAndSet(0), dropped.get(), interval);
    }
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
