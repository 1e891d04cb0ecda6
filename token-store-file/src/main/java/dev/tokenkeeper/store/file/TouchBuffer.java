package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions whose last use or sliding expiry changed in memory since they were last written:
 * touches are applied to the live index at once and written lazily, coalesced, many sessions to a
 * record. Losing a touch to a crash only makes a session look older or end sooner, never undoes a
 * revoke; a revoked session's touch is never written.
 *
 * <p>Thread-safe: {@link #add} is lock-free; {@link #drain} is called under the store's append
 * lock, so drained uses reach the log in the order of the changes they follow.
 */
final class TouchBuffer {

  private final Set<SessionId> touched = ConcurrentHashMap.newKeySet();

  /** Notes that session {@code id} changed in memory. */
  void add(SessionId id) {
    touched.add(id);
  }

  /**
   * Takes every noted session and returns the touch records to write, each of at most
   * {@link Frames#MAX_TOUCHES} uses, with the session's current last use and expiry in
   * {@code live}; gone and revoked sessions are skipped.
   */
  List<LogEntry.Touch> drain(LiveIndex live) {
    List<LogEntry.Touch> batches = new ArrayList<>();
    List<LogEntry.Use> uses = new ArrayList<>();
    for (Iterator<SessionId> it = touched.iterator(); it.hasNext(); ) {
      SessionId id = it.next();
      it.remove();
      SessionRecord session = live.findSession(id).orElse(null);
      if (session == null || session.isRevoked()) {
        continue;
      }
      uses.add(new LogEntry.Use(id, session.session().lastUsedAt(), session.expiresAt()));
      if (uses.size() == Frames.MAX_TOUCHES) {
        batches.add(new LogEntry.Touch(uses));
        uses.clear();
      }
    }
    if (!uses.isEmpty()) {
      batches.add(new LogEntry.Touch(uses));
    }
    return batches;
  }
}
