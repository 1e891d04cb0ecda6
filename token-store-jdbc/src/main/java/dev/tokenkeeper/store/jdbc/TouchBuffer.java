package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The touches (last use, sliding expiry) not yet written to the database: every authenticated
 * request makes one, and writing each would put a row update on the hot path. They are kept here
 * as the latest instants per session and written in batches by the store's flusher and on close.
 *
 * <p>This process's reads overlay them, so it never sees a session older than it last touched;
 * other processes see them after the next flush. A touch still here when the process dies is
 * lost: that makes a session look older by at most one flush interval, and with an idle timeout
 * may end it that much early, never late. Past {@code maxEntries} sessions new touches are
 * dropped (with the same effect) until a flush gets through: the buffer cannot grow without
 * bound while the database is down.
 *
 * <p>Thread-safe; no lock spans I/O.
 */
final class TouchBuffer {

  /** One owed write. */
  record Touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {

    Touch merge(Touch other) {
      return new Touch(id, later(lastUsedAt, other.lastUsedAt),
          later(expiresAt, other.expiresAt));
    }

    private static Instant later(Instant a, Instant b) {
      return a.isAfter(b) ? a : b;
    }
  }

  private final int maxEntries;
  private final Map<SessionId, Touch> pending = new ConcurrentHashMap<>();

  TouchBuffer(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** Records a touch; returns false if it was dropped because the buffer is full. */
  boolean offer(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Touch touch = new Touch(id, lastUsedAt, expiresAt);
    if (pending.size() >= maxEntries && !pending.containsKey(id)) {
      return false;
    }
    pending.merge(id, touch, Touch::merge);
    return true;
  }

  /** {@code record} with the latest instants this process has seen for it. */
  SessionRecord overlay(SessionRecord record) {
    Touch touch = pending.get(record.id());
    return touch == null ? record : record.touchedAt(touch.lastUsedAt(), touch.expiresAt());
  }

  /**
   * Every owed write, in session id order (the order the database locks them in, see
   * {@link Dialect}). They stay owed, and overlaid on reads, until {@link #written} says they
   * landed: a read between the two must not see the session older than this process left it.
   */
  List<Touch> owed() {
    List<Touch> owed = new ArrayList<>(pending.values());
    owed.sort(Comparator.comparing(t -> t.id().value()));
    return owed;
  }

  /** Forgets writes that landed, unless a later touch of the same session came in since. */
  void written(List<Touch> landed) {
    for (Touch touch : landed) {
      pending.remove(touch.id(), touch);
    }
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }
}
