package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every session and token the store holds, in memory: what authenticating reads, what replaying a
 * log rebuilds, what a snapshot is written from. The seam between the file store and its
 * in-memory layout: the store, its recovery, compaction and the offline tool reach the index only
 * through these calls, and {@link #create()} is the one place that picks the implementation.
 *
 * <p>It keeps {@link TokenStore}'s rules and thread-safety (each call atomic, lookups lock-free
 * or nearly), never touches a disk, and never consults a clock: it is handed instants. The store
 * orders changes with its own lock, so an implementation need not order them across records.
 */
interface LiveIndex extends TokenStore {

  /** A new, empty index. */
  static LiveIndex create() {
    return new CompactLiveIndex();
  }

  /**
   * Moves session {@code id}'s last use and expiry forward, as {@link #touch}, and says whether
   * anything changed; a revoked or unknown session never changes. A session that changed is kept
   * as one with an unwritten use, in the same step, until {@link #takeUnwritten} or
   * {@link #forgetUnwritten} takes it or the session leaves. {@link #touch} itself, replay's way
   * of applying a use the log holds already, notes nothing.
   */
  boolean touchIfLive(SessionId id, Instant lastUsedAt, Instant expiresAt);

  /**
   * Takes up to {@code max} sessions with unwritten uses and returns each one's current last use
   * and expiry, as of one moment; fewer only when no more are kept. Revoked sessions are taken
   * and skipped.
   */
  List<LogEntry.Use> takeUnwritten(int max);

  /** Takes session {@code id} from those with unwritten uses; says whether it was one of them. */
  boolean forgetUnwritten(SessionId id);

  /** How many sessions have unwritten uses. */
  int unwrittenCount();

  /**
   * What a {@link #purge} changed: the sessions it forgot, and the sessions it kept but whose
   * sealed pairs past their window it dropped.
   */
  record Forgotten(int sessions, int withPairsDropped) {

    /** Whether memory changed at all; a sealed pair dropped alone counts. */
    boolean any() {
      return sessions > 0 || withPairsDropped > 0;
    }
  }

  /**
   * Purges as {@link #purgeExpired} and says what it forgot. A purge that dropped only sealed
   * pairs past their window changed memory too: the store must log it, or a replay of its log
   * brings them back.
   */
  Forgotten purge(Instant now);

  /** Calls {@code action} for every session held, revoked and expired ones included. */
  void forEachSession(Consumer<SessionRecord> action);

  /** Takes a snapshot's image of the plain sessions, the first thing the snapshot holds. */
  interface ImageSink {
    void write(IndexImage.Writer image) throws IOException;
  }

  /**
   * Writes every session held, as of one moment, for a snapshot, holding the index's lock
   * throughout: the plain ones as one image to {@code image} ({@link IndexImage}), then every
   * other one as its record to {@code records}, whose tokens {@code records} may read with
   * {@link #tokensOf} from the same thread.
   */
  void snapshot(ImageSink image, Consumer<SessionRecord> records) throws IOException;

  /**
   * Makes this index, which must be empty, hold the sessions of an image {@link #snapshot}
   * wrote: its slots mapped copy-on-write, the rest read in bulk, all checked as
   * {@link IndexImage#read} says. The sessions written as records after it are then
   * {@linkplain #create created}.
   *
   * @throws IllegalArgumentException if the index is not empty, or a checksum or the image's
   *     structure does not hold; the index is then unchanged
   */
  void loadImage(LogEntry.Image image) throws IOException;

  /**
   * Adds the sessions of a block of plain sessions, as a format 4 snapshot holds them: see
   * {@link CompactLiveIndex#load}.
   *
   * @throws IllegalArgumentException if the block is malformed or holds a session or token this
   *     index already holds; the sessions before the bad one stay added
   */
  void load(ByteBuffer block);

  /**
   * Makes now, off the request path, what lookups of an index read from an image would make and
   * learn one by one: for an index about to be served by a running store, whose first requests
   * should not wait for it.
   */
  void prepareLookups();

  /**
   * The index now serves: what was replayed into it is complete, and work it put off to open
   * sooner may start. Called once, by the store that serves it.
   *
   * @param lookupsOnHeap whether to copy what lookups read from mapped pages into the heap, in
   *     the background (see {@link FileTokenStore.Builder#lookupsOnHeap}), telling
   *     {@code copied} what became of it
   */
  default void serving(boolean lookupsOnHeap, Consumer<HeapCopy> copied) {}

  /**
   * What became of copying what lookups read into the heap: {@code made} or refused for want of
   * room, {@code bytes} of copies in a heap of {@code maxHeap} bytes, {@code usedHeap} in use
   * when it was decided, in {@code nanos}. Immutable.
   */
  record HeapCopy(boolean made, long bytes, long maxHeap, long usedHeap, long nanos) {}

  /**
   * Another index serves in this one's place: lookups already under way may still read it, but
   * background work for it stops.
   */
  default void retire() {}

  /** The tokens of session {@code id} (current, rotated and expired alike), in no set order. */
  List<TokenRecord> tokensOf(SessionId id);

  /** Makes room for {@code sessions} more sessions holding {@code tokens} more tokens at once. */
  void expect(int sessions, int tokens);

  /**
   * Gives back the room kept for growth once everything read at open is in: a million sessions
   * loaded one by one leave tables and arrays up to twice their size. Arrays keep a little room
   * ({@link Room}), so the first writes after do not grow them at once.
   */
  void trim();

  /** How many sessions held are live at {@code now}: not revoked and not expired. */
  int liveCount(Instant now);

  /** How many sessions are held, revoked and expired ones included. */
  int sessionCount();

  /** How many tokens are held, rotated and expired ones included. */
  int tokenCount();
}
