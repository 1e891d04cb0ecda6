package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The sessions whose last use or sliding expiry changed in memory since they were last written:
 * a use is applied to the live index at once and written lazily, coalesced, many sessions to a
 * record. The index notes which sessions have unwritten uses in the same step as it applies one
 * ({@link LiveIndex#touchIfLive}), so no use is ever applied and not yet noted. Losing a use to
 * a crash only makes a session look older or end sooner, never undoes a revoke; a session's use
 * not written by its logout is never written after it.
 *
 * <p>A flush builds its records off the store's change lock, reading each session's current
 * times (they only move forward, in memory and on replay alike, so a record built a moment
 * before another change says nothing that change undoes), and hands them to the group commit in
 * chunks, taking the change lock only to hand each chunk in. The write itself is the group
 * commit's, off every lock a writer needs.
 *
 * <p>The orders that matter are against the records whose replay decides from the log's times
 * whether a session has expired. Every use a purge saw in memory must be written before the
 * purge's record, so a purge runs {@link #settled}: no flush in flight, no use applied while it
 * runs, and the pending uses handed in first. A rotation applies only to a
 * session not expired at its instant, so the use of its session that may not be written yet goes
 * before its record ({@link #settledFor}); else replay could refuse an acknowledged rotation of a
 * session that only that use kept alive. A logout writes its sessions' pending uses first too:
 * a revoked session's use is never written later, and replay would give its tombstone the
 * earlier expiry, forgotten sooner than memory forgets it.
 *
 * <p>Locks, in order: {@code draining} (one flush or purge at a time), the store's change lock,
 * {@code gate} (read-held by a use, write-held by a purge, a rotation or a logout). Thread-safe.
 */
final class TouchBuffer {

  /** Touch records a flush hands in at once: about 800 KiB. */
  private static final int CHUNK = 64;

  /** Replaced only under the gate's write lock, so a use is applied to the index being served. */
  private volatile LiveIndex live;
  private final Lock changeLock;
  private final ReentrantLock draining = new ReentrantLock();
  private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

  TouchBuffer(LiveIndex live, Lock changeLock) {
    this.live = live;
    this.changeLock = changeLock;
  }

  /**
   * Applies a use to the live index, which notes the session as one with an unwritten use if
   * anything changed.
   */
  void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    gate.readLock().lock();
    try {
      live.touchIfLive(id, lastUsedAt, expiresAt);
    } finally {
      gate.readLock().unlock();
    }
  }

  /**
   * Applies uses to {@code next} from now on; the caller holds the gate for writing, in
   * {@link #settled}, so no use is applied to the index being replaced after it was read.
   */
  void serve(LiveIndex next) {
    if (!gate.isWriteLockedByCurrentThread()) {
      throw new IllegalStateException("the index is replaced only while settled");
    }
    live = next;
  }

  /** How many sessions have uses not yet handed in. */
  int backlog() {
    return live.unwrittenCount();
  }

  /**
   * Hands every pending use to {@code queue} in touch records, a chunk at a time: each chunk is
   * built off the change lock and passed to {@code queue} under it, which returns the number of
   * its last record. Returns the last number handed back, or -1 if nothing was pending.
   */
  long flush(ToLongFunction<List<ByteBuffer>> queue) {
    draining.lock();
    try {
      long ticket = -1;
      for (List<ByteBuffer> chunk = drain(CHUNK); !chunk.isEmpty(); chunk = drain(CHUNK)) {
        changeLock.lock();
        try {
          ticket = queue.applyAsLong(chunk);
        } finally {
          changeLock.unlock();
        }
      }
      return ticket;
    } finally {
      draining.unlock();
    }
  }

  /**
   * Runs {@code step} under the change lock with no flush in flight and no use applied while it
   * runs, handing it the records of every pending use first, to be written before whatever
   * {@code step} writes. {@code guard} runs under the same locks before any use is taken, and
   * may refuse by throwing: a step refused after taking the uses would lose them, since a close
   * then finds none left to write.
   */
  <T> T settled(Runnable guard, Function<List<ByteBuffer>, T> step) {
    draining.lock();
    try {
      changeLock.lock();
      try {
        gate.writeLock().lock();
        try {
          guard.run();
          return step.apply(drain(Integer.MAX_VALUE));
        } finally {
          gate.writeLock().unlock();
        }
      } finally {
        changeLock.unlock();
      }
    } finally {
      draining.unlock();
    }
  }

  /**
   * Runs {@code step} for a change to sessions {@code ids} alone, under the change lock, which the
   * caller holds, with no use applied while it runs, handing it the records of their current
   * last use and expiry where they may not be written yet (noted in the index, or a flush in
   * flight may hold them unwritten), to be written before whatever {@code step} writes. Other
   * sessions' uses stay pending.
   */
  <T> T settledFor(Collection<SessionId> ids, Function<List<ByteBuffer>, T> step) {
    gate.writeLock().lock();
    try {
      List<LogEntry.Use> uses = new ArrayList<>();
      List<ByteBuffer> records = new ArrayList<>();
      for (SessionId id : ids) {
        // A flush may have taken the note first, even one that started after this call: it holds
        // draining until it hands its records in, which takes the change lock the caller holds.
        // So asked after the note is forgotten, draining says whether a flush may hold the use.
        boolean noted = live.forgetUnwritten(id);
        LogEntry.Use use = noted || draining.isLocked() ? use(id) : null;
        if (use != null) {
          uses.add(use);
        }
        if (uses.size() == Frames.MAX_TOUCHES) {
          records.add(Frames.encode(new LogEntry.Touch(List.copyOf(uses))));
          uses.clear();
        }
      }
      if (!uses.isEmpty()) {
        records.add(Frames.encode(new LogEntry.Touch(uses)));
      }
      return step.apply(records);
    } finally {
      gate.writeLock().unlock();
    }
  }

  /**
   * Takes sessions with unwritten uses and returns up to {@code records} touch records of their
   * current last use and expiry, each of at most {@link Frames#MAX_TOUCHES} uses; revoked
   * sessions are skipped. The index's lock is held for one record's sessions at a time, so
   * requests touching sessions wait for no more than that.
   */
  private List<ByteBuffer> drain(int records) {
    List<ByteBuffer> frames = new ArrayList<>();
    while (frames.size() < records) {
      List<LogEntry.Use> uses = live.takeUnwritten(Frames.MAX_TOUCHES);
      if (uses.isEmpty()) {
        break;
      }
      frames.add(Frames.encode(new LogEntry.Touch(uses)));
    }
    return frames;
  }

  /** Session {@code id}'s current last use and expiry; null if it is gone or revoked. */
  private LogEntry.Use use(SessionId id) {
    SessionRecord session = live.findSession(id).orElse(null);
    if (session == null || session.isRevoked()) {
      return null;
    }
    return new LogEntry.Use(id, session.session().lastUsedAt(), session.expiresAt());
  }
}
