package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@link LiveIndex} in flat primitive arrays: a million live sessions in about 135 bytes
 * each, where records as objects cost 315 or more, and one probe of a table of {@code int}s finds a
 * token without chasing a graph of objects. Written to a snapshot as an image of its arrays
 * ({@link IndexImage}), which open maps back ({@link #loadImage}): then most of those bytes are
 * the snapshot file's pages, and about 26 a session the heap.
 *
 * <p><b>Layout.</b> Each session is one slot of eleven {@code long}s in a {@link SlotArena}: its
 * id, its token's digest, its instants as nanoseconds since the epoch, the ids of its
 * subject and label in a shared {@link TextPool}, the next session of the same subject, and its
 * state. Two {@link SlotTable}s map a digest and a session id to the slot, each placing keys by a
 * {@link KeyHash} drawn when it is built; each candidate is confirmed on the full 32-byte digest
 * or 16-byte id. A session that is not <i>plain</i> (one
 * token issued alone, never revoked, unbound, its instants within a long of nanoseconds, its
 * label one the pool {@linkplain TextPool#holds holds}) keeps
 * its records as objects, as {@link dev.tokenkeeper.core.InMemoryTokenStore} does, reached from
 * its slot; that is every paired, bound, rotated or revoked session.
 *
 * <p><b>Threads.</b> Changes are made under this object's monitor, inside a sequence lock:
 * {@link #find}, the request path, reads without locking and retries if a change overlapped
 * (taking the monitor after a few tries), so it sees a token and its session as of one moment.
 * Every other read takes the monitor. The core's rules apply unchanged: changes to a session that
 * is not plain go through its records' own methods.
 *
 * <p><b>Replayed uses.</b> The uses an open replays for sessions in an image's mapped slots are
 * kept beside them ({@link PendingUses}) and written into them once the index serves, so the open
 * does not wait for the pages they would copy.
 */
final class CompactLiveIndex implements LiveIndex {

  static final int ID_HIGH = 0;
  private static final int ID_LOW = 1;
  static final int DIGEST = 2;
  static final int CREATED = 6;
  static final int LAST_USED = 7;
  static final int EXPIRES = 8;
  /** Subject's text id (high half), label's text id or -1 (low half). */
  static final int TEXTS = 9;
  /** Next slot of the same subject plus one (high half), {@link #PLAIN}, {@link #FREE} or the
   * index of the session's records plus one (low half). */
  static final int LINKS = 10;
  static final int PLAIN = 0;
  static final int FREE = -1;

  static final int MAX_SLOTS = SlotTable.MAX_SLOTS;

  /** Instants within about 285 years of 1970 fit a long of nanoseconds with room for a sentinel. */
  private static final long MAX_SECONDS = 9_000_000_000L;

  private static final int OPTIMISTIC_TRIES = 4;

  /** Entries of {@link #decodedLabels}. */
  private static final int DECODED_LABELS = 1 << 8;

  /** Entries of {@link #foundSlots}: 16 KiB, which stays in a core's cache. */
  private static final int FOUND_HINTS = 1 << 12;

  /**
   * Replayed uses {@link #writePending} writes per hold of the monitor: each may copy a page,
   * some tens of microseconds.
   */
  private static final int PENDING_STEP = 16;

  /** The text of label {@code id} in generation {@code generation} of {@code pool}. Immutable. */
  private record DecodedLabel(TextPool pool, long generation, int id, String text) {}

  /** A session kept as records. Immutable; replaced whole by each change. */
  private static final class Records {
    final SessionRecord session;
    final TokenRecord[] tokens;

    Records(SessionRecord session, TokenRecord[] tokens) {
      this.session = session;
      this.tokens = tokens;
    }
  }

  private SlotArena slots = new SlotArena();
  private int slotLimit;
  private int[] freeSlots = new int[16];
  private int freeSlotCount;
  private Records[] records = new Records[16];
  private int recordsLimit;
  private int[] freeRecords = new int[16];
  private int freeRecordCount;
  /**
   * Carries beside each cell where its session's subject starts in {@link #texts}, plus one (0
   * if not known yet): see {@link #lookup}.
   */
  private SlotTable byDigest = SlotTable.growing(16, KeyHash.fresh());
  private SlotTable byId = SlotTable.growing(16, KeyHash.fresh());
  private TextPool texts = new TextPool();
  /** The first slot plus one of each subject's list, by the subject's text id. */
  private int[] subjectHeads = new int[64];
  /**
   * The slot plus one that a recent lookup found, by a hash of its session's id: the touch that
   * follows a lookup then finds the slot without probing the id table, one wait for memory fewer.
   * Written by lookups without a lock, so only a hint: a touch uses it only if the slot holds the
   * session.
   */
  private final int[] foundSlots = new int[FOUND_HINTS];
  /**
   * Labels lookups decoded lately, by text id. Many sessions share a label (a browser's
   * User-Agent), and decoding one cost a lookup more than a tenth of its work. Written by lookups
   * without a lock, but only once their read has validated, so an entry always holds the text its
   * id named in that generation of that pool; a lookup uses one only for the same three.
   */
  private final DecodedLabel[] decodedLabels = new DecodedLabel[DECODED_LABELS];
  /**
   * One bit a slot: its session's last use changed in memory and is not written yet. A bit set
   * beside the slots, not a set of ids: noting a use then costs a touch no allocation and no
   * cache miss, where a concurrent set of a million ids cost it hundreds of nanoseconds.
   */
  private long[] unwritten = new long[1];
  private volatile int unwrittenCount;
  /**
   * Uses replay read for sessions whose slots are mapped pages, not yet written into them; null
   * when there are none. See {@link PendingUses}: every read of a plain slot's last use or expiry
   * goes through {@link #usedOf} or {@link #expiresOf}.
   */
  private volatile PendingUses pending;
  /**
   * The slots of {@link #pending} in the order {@link #writePending} writes them, once it has
   * begun (uses replayed after that are written into their slots at once), and how many it has
   * written.
   */
  private int[] pendingOrder;
  private int pendingWritten;
  /** Whether another index serves in this one's place: see {@link #retire}. */
  private volatile boolean retired;

  /** Odd while a change is being made. */
  private volatile long sequence;
  private volatile int sessionCount;
  private volatile int tokenCount;
  private volatile boolean closed;

  CompactLiveIndex() {
    byDigest.startPayload();
  }

  // ---- reads

  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    if (byDigest.payload() == null) {
      // A table read from an image has no marks: 6 MB of fresh pages at a million would cost an
      // open tens of milliseconds here. The first lookup starts them, all unknown, for lookups
      // to learn.
      byDigest.startPayload();
    }
    for (int tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
      long before = sequence;
      if ((before & 1) != 0) {
        Thread.onSpinWait();
        continue;
      }
      try {
        TokenEntry found = lookup(hash, before);
        VarHandle.loadLoadFence();
        if (sequence == before) {
          return Optional.ofNullable(found);
        }
      } catch (RuntimeException torn) {
        // Read across a change: garbage indices or texts. Retry if so; a real failure rethrows.
        VarHandle.loadLoadFence();
        if (sequence == before) {
          throw torn;
        }
      }
    }
    synchronized (this) {
      return Optional.ofNullable(lookup(hash, sequence));
    }
  }

  @Override
  public synchronized Optional<SessionRecord> findSession(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    int slot = slotOf(id);
    return slot < 0 ? Optional.empty() : Optional.of(sessionAt(slot));
  }

  @Override
  public synchronized List<SessionRecord> findSessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    List<SessionRecord> found = new ArrayList<>();
    for (int slot = firstOfSubject(subject); slot >= 0; slot = nextOfSubject(slot)) {
      found.add(sessionAt(slot));
    }
    return found;
  }

  @Override
  public synchronized List<TokenRecord> tokensOf(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    int slot = slotOf(id);
    return slot < 0 ? new ArrayList<>() : new ArrayList<>(Arrays.asList(recordsAt(slot).tokens));
  }

  @Override
  public synchronized void forEachSession(Consumer<SessionRecord> action) {
    Objects.requireNonNull(action, "action");
    requireOpen();
    for (int slot = 0; slot < slotLimit; slot++) {
      if (state(slot) != FREE) {
        action.accept(sessionAt(slot));
      }
    }
  }

  /** {@inheritDoc} Reads plain sessions' expiry in place, making no records. */
  @Override
  public synchronized int liveCount(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    long nowNanos = nanosOrBeyond(now);
    int count = 0;
    for (int slot = 0; slot < slotLimit; slot++) {
      int state = state(slot);
      if (state == PLAIN ? nowNanos < expiresOf(slot)
          : state > 0 && records[state - 1].session.isLiveAt(now)) {
        count++;
      }
    }
    return count;
  }

  @Override
  public int sessionCount() {
    return sessionCount;
  }

  @Override
  public int tokenCount() {
    return tokenCount;
  }

  // ---- changes

  @Override
  public synchronized void create(SessionRecord session, List<TokenRecord> tokens) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(tokens, "tokens");
    requireOpen();
    if (slotOf(session.id()) >= 0) {
      throw new IllegalArgumentException("a session is already stored under " + session.id());
    }
    requireNew(session.id(), tokens);
    beginChange();
    try {
      makeRoom(1, tokens.size());
      int slot = newSlot();
      slots.set(slot, ID_HIGH, session.id().high());
      slots.set(slot, ID_LOW, session.id().low());
      int subject = texts.intern(session.subject());
      int label = -1;
      int state;
      if (isPlain(session, tokens)) {
        TokenHash hash = tokens.get(0).hash();
        for (int i = 0; i < 4; i++) {
          slots.set(slot, DIGEST + i, hash.word(i));
        }
        Session s = session.session();
        slots.set(slot, CREATED, nanos(s.createdAt()));
        slots.set(slot, LAST_USED, nanos(s.lastUsedAt()));
        slots.set(slot, EXPIRES, nanos(s.expiresAt()));
        label = s.label() == null ? -1 : texts.intern(s.label());
        state = PLAIN;
      } else {
        state = newRecords(new Records(session, tokens.toArray(new TokenRecord[0])));
      }
      if (subjectHeads.length <= subject) {
        subjectHeads = Arrays.copyOf(subjectHeads, Math.max(subject + 1, subjectHeads.length * 2));
      }
      slots.set(slot, TEXTS, pack(subject, label));
      slots.set(slot, LINKS, pack(subjectHeads[subject], state));
      subjectHeads[subject] = slot + 1;
      addToTables(slot, session.id(), tokens);
      sessionCount++;
      tokenCount += tokens.size();
    } finally {
      endChange();
    }
  }

  @Override
  public synchronized boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    requireOpen();
    int slot = slotOf(rotation.sessionId());
    if (slot < 0 || slotOf(rotation.rotated()) != slot) {
      return false;
    }
    Records current = recordsAt(slot);
    int presented = indexOf(current.tokens, rotation.rotated());
    if (presented < 0 || !rotation.appliesTo(current.session, current.tokens[presented])) {
      return false;
    }
    List<TokenRecord> added = rotation.added();
    requireNew(current.session.id(), added);
    TokenRecord[] next = rotation.applyTo(current.tokens, presented);
    beginChange();
    try {
      makeRoom(0, added.size());
      keepAsRecords(slot, new Records(rotation.applyTo(current.session), next));
      addToTables(slot, null, added);
      tokenCount += added.size();
    } finally {
      endChange();
    }
    return true;
  }

  @Override
  public synchronized boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    requireOpen();
    int slot = slotOf(id);
    if (slot < 0) {
      return false;
    }
    Records current = recordsAt(slot);
    if (current.session.isRevoked()) {
      return false;
    }
    beginChange();
    try {
      keepAsRecords(slot, new Records(current.session.revokedAt(at), current.tokens));
    } finally {
      endChange();
    }
    return true;
  }

  @Override
  public synchronized int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    int first = firstOfSubject(subject);
    if (first < 0) {
      return 0;
    }
    int count = 0;
    beginChange();
    try {
      for (int slot = first; slot >= 0; slot = nextOfSubject(slot)) {
        Records current = recordsAt(slot);
        if (current.session.isLiveAt(at)) {
          count++;
        }
        if (!current.session.isRevoked()) {
          keepAsRecords(slot, new Records(current.session.revokedAt(at), current.tokens));
        }
      }
    } finally {
      endChange();
    }
    return count;
  }

  /**
   * {@inheritDoc} Replay's: the use is written already, so the session is not noted. A plain
   * session's use whose slot is a mapped page is kept in {@link #pending} rather than written.
   */
  @Override
  public synchronized void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    int slot = slotFound(id);
    if (slot >= 0 && state(slot) == PLAIN && fits(lastUsedAt) && fits(expiresAt)
        && slots.isMapped(slot) && pendingOrder == null) {
      long used = nanos(lastUsedAt);
      long expires = nanos(expiresAt);
      if (used > usedOf(slot) || expires > expiresOf(slot)) {
        beginChange();
        try {
          if (pending == null) {
            pending = new PendingUses();
          }
          pending.add(slot, used, expires);
        } finally {
          endChange();
        }
      }
      return;
    }
    moveForward(id, lastUsedAt, expiresAt);
  }

  @Override
  public synchronized boolean touchIfLive(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    int slot = moveForward(id, lastUsedAt, expiresAt);
    if (slot < 0) {
      return false;
    }
    noteUnwritten(slot);
    return true;
  }

  /** Moves session {@code id}'s last use and expiry forward: its slot if they changed, else -1. */
  private int moveForward(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    int slot = slotFound(id);
    if (slot < 0) {
      return -1;
    }
    if (state(slot) == PLAIN && fits(lastUsedAt) && fits(expiresAt)) {
      long usedBefore = usedOf(slot);
      long expiresBefore = expiresOf(slot);
      long used = Math.max(usedBefore, nanos(lastUsedAt));
      long expires = Math.max(expiresBefore, nanos(expiresAt));
      if (used == usedBefore && expires == expiresBefore) {
        return -1;
      }
      beginChange();
      slots.set(slot, LAST_USED, used);
      slots.set(slot, EXPIRES, expires);
      endChange();
      return slot;
    }
    Records current = recordsAt(slot);
    SessionRecord touched = current.session.touchedAt(lastUsedAt, expiresAt);
    if (touched == current.session) {
      return -1;
    }
    beginChange();
    try {
      keepAsRecords(slot, new Records(touched, current.tokens));
    } finally {
      endChange();
    }
    return slot;
  }

  @Override
  public synchronized List<LogEntry.Use> takeUnwritten(int max) {
    requireOpen();
    List<LogEntry.Use> uses = new ArrayList<>(Math.min(max, unwrittenCount));
    for (int word = 0; word < unwritten.length && uses.size() < max; word++) {
      while (unwritten[word] != 0 && uses.size() < max) {
        int slot = (word << 6) + Long.numberOfTrailingZeros(unwritten[word]);
        clearUnwritten(slot);
        SessionRecord session = sessionAt(slot);
        if (!session.isRevoked()) {
          uses.add(new LogEntry.Use(session.id(), session.session().lastUsedAt(),
              session.expiresAt()));
        }
      }
    }
    return uses;
  }

  @Override
  public synchronized boolean forgetUnwritten(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    int slot = slotOf(id);
    return slot >= 0 && clearUnwritten(slot);
  }

  @Override
  public int unwrittenCount() {
    return unwrittenCount;
  }

  private void noteUnwritten(int slot) {
    int word = slot >>> 6;
    if (word >= unwritten.length) {
      unwritten = Arrays.copyOf(unwritten, Math.max(word + 1, unwritten.length * 2));
    }
    long bit = 1L << slot;
    if ((unwritten[word] & bit) == 0) {
      unwritten[word] |= bit;
      unwrittenCount = unwrittenCount + 1;
    }
  }

  /** Clears {@code slot}'s unwritten use; says whether it had one. */
  private boolean clearUnwritten(int slot) {
    int word = slot >>> 6;
    long bit = 1L << slot;
    if (word >= unwritten.length || (unwritten[word] & bit) == 0) {
      return false;
    }
    unwritten[word] &= ~bit;
    unwrittenCount = unwrittenCount - 1;
    return true;
  }

  @Override
  public int purgeExpired(Instant now) {
    return purge(now).sessions();
  }

  @Override
  public synchronized Forgotten purge(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    long nowNanos = nanosOrBeyond(now);
    BitSet leaving = new BitSet();
    int withPairsDropped = 0;
    beginChange();
    try {
      for (int slot = 0; slot < slotLimit; slot++) {
        int state = state(slot);
        if (state == FREE) {
          continue;
        }
        if (state == PLAIN) {
          if (nowNanos >= expiresOf(slot)) {
            leaving.set(slot);
          }
          continue;
        }
        Records current = records[state - 1];
        if (current.session.isPurgeableAt(now)) {
          leaving.set(slot);
          continue;
        }
        TokenRecord[] kept = TokenRecord.withoutSuccessorsAt(current.tokens, now);
        if (kept != current.tokens) {
          records[state - 1] = new Records(current.session, kept);
          withPairsDropped++;
        }
      }
      if (!leaving.isEmpty()) {
        unlinkFromSubjects(leaving);
        for (int slot = leaving.nextSetBit(0); slot >= 0; slot = leaving.nextSetBit(slot + 1)) {
          remove(slot);
        }
        dropUnusedTexts();
      }
    } finally {
      endChange();
    }
    return new Forgotten(leaving.cardinality(), withPairsDropped);
  }

  @Override
  public void close() {
    closed = true;
  }

  // ---- snapshots

  /** The bytes of one session in a block: ten longs, then its subject's and label's local ids. */
  private static final int BLOCK_SESSION = 9 * Long.BYTES + 2 * Short.BYTES;
  private static final int NO_LABEL = 0xFFFF;

  @Override
  public synchronized void snapshot(ImageSink image, Consumer<SessionRecord> others)
      throws IOException {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(others, "others");
    requireOpen();
    // Each image's tables under seeds of their own, so none lives longer than a snapshot: an
    // index opened from an image would otherwise keep the image's seeds for as long as its
    // tables need not grow, and write them into every snapshot after.
    texts.reseed();
    SlotTable ids = idTable(byId.emptyLike(KeyHash.fresh()));
    SlotTable digests = digestTable(byDigest.emptyLike(KeyHash.fresh()));
    beginChange();
    try {
      byId = ids;
      byDigest = digests;
    } finally {
      endChange();
    }
    image.write(new IndexImage.Writer(new IndexImage.Layout(slots, slotLimit, freeSlots,
        freeSlotCount, byDigest, byId, subjectHeads, texts.parts(), pending)));
    for (int slot = 0; slot < slotLimit; slot++) {
      int state = state(slot);
      if (state > 0) {
        others.accept(records[state - 1].session);
      }
    }
  }

  @Override
  public synchronized void loadImage(LogEntry.Image image) throws IOException {
    Objects.requireNonNull(image, "image");
    requireOpen();
    if (slotLimit != 0) {
      throw new IllegalArgumentException("an image is loaded into an empty index only");
    }
    IndexImage.Parts parts = IndexImage.read(image.header(), image.source());
    beginChange();
    try {
      slots = parts.slots();
      slotLimit = parts.slotLimit();
      freeSlotCount = parts.freeSlots().length;
      freeSlots = Arrays.copyOf(parts.freeSlots(), Math.max(16, freeSlotCount));
      byDigest = parts.byDigest();
      byId = parts.byId();
      subjectHeads = parts.subjectHeads();
      texts = parts.texts();
      sessionCount = parts.sessions();
      tokenCount = parts.sessions();
      // A format 5 image placed its keys by an unkeyed hash: index them anew under keyed ones.
      if (!byId.keys.isKeyed()) {
        byId = idTable(SlotTable.tight(sessionCount, KeyHash.fresh()));
      }
      if (!byDigest.keys.isKeyed()) {
        byDigest = digestTable(SlotTable.tight(tokenCount, KeyHash.fresh()));
      }
    } finally {
      endChange();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A block is {@code [u16 texts][texts: u16 length, UTF-8]...[u16 sessions]} then per session
   * {@code [i64 id high][i64 id low][4 x i64 digest][i64 created][i64 last used][i64 expires]
   * [u16 subject][u16 label or 0xFFFF]}, instants in nanoseconds since the epoch and texts by
   * their index in the block's own list.
   */
  @Override
  public synchronized void load(ByteBuffer block) {
    Objects.requireNonNull(block, "block");
    requireOpen();
    try {
      byte[][] localTexts = new byte[Short.toUnsignedInt(block.getShort())][];
      for (int i = 0; i < localTexts.length; i++) {
        localTexts[i] = new byte[Short.toUnsignedInt(block.getShort())];
        block.get(localTexts[i]);
      }
      int count = Short.toUnsignedInt(block.getShort());
      if (block.remaining() != count * BLOCK_SESSION) {
        throw new IllegalArgumentException("a block of " + count + " sessions holds "
            + block.remaining() + " bytes");
      }
      int[] subjectIds = new int[localTexts.length];
      int[] labelIds = new int[localTexts.length];
      beginChange();
      try {
        makeRoom(count, count);
        for (int i = 0; i < count; i++) {
          loadSession(block, localTexts, subjectIds, labelIds);
        }
      } finally {
        endChange();
      }
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("a block of sessions ends early", e);
    }
  }

  /** An id and instants for checking a block's texts by {@link Session}'s own rules. */
  private static final SessionId TEXT_CHECK_ID = SessionId.of(0, 0);
  private static final Instant TEXT_CHECK_END = Instant.EPOCH.plusNanos(1);

  /**
   * Adds one session of a block. Each text is checked (by the rules of {@link Session}) the first
   * time the block uses it as a subject or as a label: ids hold its pool id plus one once checked.
   */
  private void loadSession(ByteBuffer block, byte[][] localTexts, int[] subjectIds,
      int[] labelIds) {
    long high = block.getLong();
    long low = block.getLong();
    long w0 = block.getLong();
    long w1 = block.getLong();
    long w2 = block.getLong();
    long w3 = block.getLong();
    long created = block.getLong();
    long lastUsed = block.getLong();
    long expires = block.getLong();
    int subject = Short.toUnsignedInt(block.getShort());
    int label = Short.toUnsignedInt(block.getShort());
    if (subject >= localTexts.length || (label != NO_LABEL && label >= localTexts.length)) {
      throw new IllegalArgumentException("a session names a text the block does not hold");
    }
    if (!possibleInstants(created, lastUsed, expires)) {
      throw new IllegalArgumentException("session " + SessionId.of(high, low)
          + " has impossible instants");
    }
    if (subjectIds[subject] == 0) {
      // Pooled as the text the bytes decode to, checked as a Session checks it.
      String text = checkSubject(text(localTexts[subject]));
      subjectIds[subject] = texts.intern(text) + 1;
    }
    int labelId = -1;
    if (label != NO_LABEL) {
      if (labelIds[label] == 0) {
        String text = checkLabel(text(localTexts[label]));
        labelIds[label] = texts.intern(text) + 1;
      }
      labelId = labelIds[label] - 1;
    }
    int subjectId = subjectIds[subject] - 1;
    if (subjectHeads.length <= texts.idLimit()) {
      subjectHeads = Arrays.copyOf(subjectHeads, Math.max(texts.idLimit() + 1,
          subjectHeads.length * 2));
    }
    int slot = newSlot();
    slots.set(slot, ID_HIGH, high);
    slots.set(slot, ID_LOW, low);
    slots.set(slot, DIGEST, w0);
    slots.set(slot, DIGEST + 1, w1);
    slots.set(slot, DIGEST + 2, w2);
    slots.set(slot, DIGEST + 3, w3);
    slots.set(slot, CREATED, created);
    slots.set(slot, LAST_USED, lastUsed);
    slots.set(slot, EXPIRES, expires);
    slots.set(slot, TEXTS, pack(subjectId, labelId));
    slots.set(slot, LINKS, pack(0, PLAIN));
    // One probe per table both looks for the key and finds where it goes.
    int idHash = byId.keys.id(high, low);
    int digestHash = byDigest.keys.digest(w0, w1, w2, w3);
    int idAt = freeCellFor(byId, idHash, high, low, -1, 0, -1);
    int digestAt = idAt < 0 ? -1 : freeCellFor(byDigest, digestHash, w0, w1, w2, w3, slot);
    if (digestAt < 0) {
      slots.set(slot, LINKS, pack(0, FREE));
      freeSlot(slot);
      throw new IllegalArgumentException(idAt < 0
          ? "a session is already stored under " + SessionId.of(high, low)
          : "a token is already stored under " + TokenHash.sha256Words(w0, w1, w2, w3));
    }
    byId.addAt(idAt, idHash, slot);
    byDigest.addAt(digestAt, digestHash, slot, texts.startOf(subjectId) + 1);
    slots.set(slot, LINKS, pack(subjectHeads[subjectId], PLAIN));
    subjectHeads[subjectId] = slot + 1;
    sessionCount++;
    tokenCount++;
  }

  /**
   * {@code subject}, if a session may have it as its subject.
   *
   * @throws IllegalArgumentException if not
   */
  static String checkSubject(String subject) {
    new Session(TEXT_CHECK_ID, subject, null, Instant.EPOCH, Instant.EPOCH, TEXT_CHECK_END);
    return subject;
  }

  /**
   * {@code label}, if a session may have it as its label.
   *
   * @throws IllegalArgumentException if not
   */
  static String checkLabel(String label) {
    new Session(TEXT_CHECK_ID, "label", label, Instant.EPOCH, Instant.EPOCH, TEXT_CHECK_END);
    return label;
  }

  /** Whether a plain session may have these instants, in nanoseconds since the epoch. */
  static boolean possibleInstants(long created, long lastUsed, long expires) {
    return lastUsed >= created && expires > created && fitsNanos(created) && fitsNanos(lastUsed)
        && fitsNanos(expires);
  }

  private static String text(byte[] utf8) {
    return TextPool.decodeStrictly(utf8, 0, utf8.length);
  }

  /**
   * The first empty or removed cell of {@code table}'s probe for {@code hash}, or -1 if the key is
   * held. The key is a session id ({@code a}, {@code b}) when {@code d} is -1 (the id table), a
   * digest ({@code a} to {@code d}) otherwise, whose own slot {@code self} is skipped.
   */
  private int freeCellFor(SlotTable table, int hash, long a, long b, long c, long d, int self) {
    IntBuffer cells = table.cells;
    int free = -1;
    int at = SlotTable.start(cells, hash);
    for (int probes = 0; probes < cells.limit() && cells.get(at) != SlotTable.EMPTY; probes++) {
      if (cells.get(at) == SlotTable.REMOVED) {
        free = free < 0 ? at : free;
      } else {
        int slot = SlotTable.candidate(cells, at, hash);
        if (slot >= 0 && slot != self && holdsKey(slot, a, b, c, d, table == byId)) {
          return -1;
        }
      }
      at = SlotTable.next(cells, at);
    }
    return free >= 0 ? free : at;
  }

  private boolean holdsKey(int slot, long a, long b, long c, long d, boolean id) {
    if (id) {
      return slots.get(slot, ID_HIGH) == a && slots.get(slot, ID_LOW) == b;
    }
    int state = state(slot);
    if (state == PLAIN) {
      return slots.get(slot, DIGEST) == a && slots.get(slot, DIGEST + 1) == b
          && slots.get(slot, DIGEST + 2) == c && slots.get(slot, DIGEST + 3) == d;
    }
    return state > 0 && indexOf(records[state - 1].tokens, TokenHash.sha256Words(a, b, c, d)) >= 0;
  }

  // ---- the layout

  /**
   * The entry of {@code hash}, read as of {@code before}, the sequence the caller validates after.
   *
   * <p>A lookup among a million sessions is mostly waiting for memory: the table's cell, then the
   * slot it names, then the subject's bytes. The digest table carries beside each cell where the
   * subject of the session it names starts (its <i>mark</i>), so the subject's bytes are fetched
   * at once with the slot rather than after it. A mark not known yet (0: a table read from an
   * image starts with none) is read from the slot's subject id instead, then learned once nothing
   * has changed since {@code before}; every change sets the marks of the cells it touches.
   */
  private TokenEntry lookup(TokenHash hash, long before) {
    long w0 = hash.word(0);
    long w1 = hash.word(1);
    long w2 = hash.word(2);
    long w3 = hash.word(3);
    SlotTable table = byDigest;
    IntBuffer cells = table.cells;
    int[] marks = table.payload();
    TextPool pool = texts;
    int hashCode = table.keys.digest(w0, w1, w2, w3);
    int at = SlotTable.start(cells, hashCode);
    for (int probes = 0; probes < cells.limit() && cells.get(at) != SlotTable.EMPTY; probes++) {
      int slot = SlotTable.candidate(cells, at, hashCode);
      int cell = at;
      int mark = marks == null ? 0 : marks[at];
      at = SlotTable.next(cells, at);
      if (slot < 0) {
        continue;
      }
      // Read now, so the subject's bytes are on their way while the slot is. The slot may not be
      // plain, and its mark then is not used: read it so that no mark can make this throw.
      int markedLength = mark == 0 ? 0 : pool.lengthOrZeroAt(mark - 1);
      ByteBuffer chunk = slots.chunkOf(slot);
      int base = SlotArena.at(slot, 0);
      int state = (int) chunk.getLong(base + LINKS * Long.BYTES);
      if (state == PLAIN) {
        long difference = (chunk.getLong(base + DIGEST * Long.BYTES) ^ w0)
            | (chunk.getLong(base + (DIGEST + 1) * Long.BYTES) ^ w1)
            | (chunk.getLong(base + (DIGEST + 2) * Long.BYTES) ^ w2)
            | (chunk.getLong(base + (DIGEST + 3) * Long.BYTES) ^ w3);
        if (difference == 0) {
          String subject;
          if (mark != 0) {
            subject = pool.textAt(mark - 1, markedLength);
          } else {
            int start = pool.startOf((int) (chunk.getLong(base + TEXTS * Long.BYTES) >>> 32));
            subject = pool.textAt(start, pool.lengthAt(start));
            VarHandle.loadLoadFence();
            if (marks != null && sequence == before) {
              SlotTable.learn(marks, cell, start + 1);
            }
          }
          int label = (int) chunk.getLong(base + TEXTS * Long.BYTES);
          SessionRecord session = plainSession(slot, chunk, base, subject,
              label < 0 ? null : label(pool, label, before));
          foundSlots[foundHint(session.id())] = slot + 1;
          return new TokenEntry(TokenRecord.of(hash, session.id()), session);
        }
      } else if (state > 0) {
        Records held = records[state - 1];
        int index = indexOf(held.tokens, hash);
        if (index >= 0) {
          return new TokenEntry(held.tokens[index], held.session);
        }
      }
    }
    return null;
  }

  /**
   * The text of label {@code id} in {@code pool}, from {@link #decodedLabels} if a lookup decoded
   * it in the pool's current generation; else decoded, and kept once nothing has changed since
   * {@code before}, the sequence the caller's read began at.
   */
  private String label(TextPool pool, int id, long before) {
    long generation = pool.generation();
    int entry = id & (DECODED_LABELS - 1);
    DecodedLabel seen = decodedLabels[entry];
    if (seen != null && seen.id == id && seen.pool == pool && seen.generation == generation) {
      return seen.text;
    }
    String text = pool.text(id);
    VarHandle.loadLoadFence();
    if (sequence == before) {
      decodedLabels[entry] = new DecodedLabel(pool, generation, id, text);
    }
    return text;
  }

  private SessionRecord plainSession(int slot) {
    ByteBuffer chunk = slots.chunkOf(slot);
    int base = SlotArena.at(slot, 0);
    long texts = chunk.getLong(base + TEXTS * Long.BYTES);
    int label = (int) texts;
    return plainSession(slot, chunk, base, this.texts.text((int) (texts >>> 32)),
        label < 0 ? null : this.texts.text(label));
  }

  /**
   * The plain session in {@code slot}, which starts at {@code base} in {@code chunk}, of
   * {@code subject} and {@code label}, its texts.
   */
  private SessionRecord plainSession(int slot, ByteBuffer chunk, int base, String subject,
      String label) {
    long created = chunk.getLong(base + CREATED * Long.BYTES);
    long lastUsed = chunk.getLong(base + LAST_USED * Long.BYTES);
    long expires = chunk.getLong(base + EXPIRES * Long.BYTES);
    PendingUses replayed = pending;
    if (replayed != null) {
      lastUsed = replayed.used(slot, lastUsed);
      expires = replayed.expires(slot, expires);
    }
    Instant createdAt = instant(created);
    Session session = new Session(SessionId.of(chunk.getLong(base + ID_HIGH * Long.BYTES),
        chunk.getLong(base + ID_LOW * Long.BYTES)),
        subject, label, createdAt, lastUsed == created ? createdAt : instant(lastUsed),
        instant(expires));
    return new SessionRecord(session, null, null, null);
  }

  private SessionRecord sessionAt(int slot) {
    int state = state(slot);
    return state == PLAIN
        ? plainSession(slot) : records[state - 1].session;
  }

  /** The session's records, made from its slot if it is plain. */
  private Records recordsAt(int slot) {
    int state = state(slot);
    if (state != PLAIN) {
      return records[state - 1];
    }
    SessionRecord session = plainSession(slot);
    TokenHash hash = TokenHash.sha256Words(slots.get(slot, DIGEST), slots.get(slot, DIGEST + 1),
        slots.get(slot, DIGEST + 2), slots.get(slot, DIGEST + 3));
    return new Records(session, new TokenRecord[] {TokenRecord.of(hash, session.id())});
  }

  /** From now on the session in {@code slot} is {@code held}; its slot keeps only its links. */
  private void keepAsRecords(int slot, Records held) {
    int state = state(slot);
    if (state == PLAIN) {
      setState(slot, newRecords(held));
      // The label now lives in the records; the pool drops its text at a purge if none uses it.
      slots.set(slot, TEXTS, pack((int) (slots.get(slot, TEXTS) >>> 32), -1));
    } else {
      records[state - 1] = held;
    }
  }

  /** Whether a session keeps its fields in its slot alone: see the class comment. */
  static boolean isPlain(SessionRecord session, List<TokenRecord> tokens) {
    if (session.isRevoked() || session.binding() != null || session.refreshHash() != null
        || tokens.size() != 1) {
      return false;
    }
    TokenRecord token = tokens.get(0);
    Session s = session.session();
    return token.expiresAt() == null && token.rotatedAt() == null
        && token.hash().scheme() == TokenHash.SHA256
        && (s.label() == null || TextPool.holds(s.label()))
        && fits(s.createdAt()) && fits(s.lastUsedAt()) && fits(s.expiresAt());
  }

  private int newSlot() {
    int slot;
    if (freeSlotCount > 0) {
      slot = freeSlots[--freeSlotCount];
    } else {
      if (slotLimit == MAX_SLOTS) {
        throw new IllegalStateException("the index holds at most " + MAX_SLOTS + " sessions");
      }
      slot = slotLimit++;
      slots.ensureCapacity(slotLimit);
    }
    return slot;
  }

  /** Clears {@code slot} and keeps it for the next session. */
  private void freeSlot(int slot) {
    clearUnwritten(slot); // the next session in the slot has written nothing yet
    if (pending != null) {
      pending.drop(slot);
    }
    slots.clear(slot);
    slots.set(slot, LINKS, pack(0, FREE));
    if (freeSlotCount == freeSlots.length) {
      freeSlots = Arrays.copyOf(freeSlots, freeSlotCount * 2);
    }
    freeSlots[freeSlotCount++] = slot;
  }

  private int newRecords(Records held) {
    int index;
    if (freeRecordCount > 0) {
      index = freeRecords[--freeRecordCount];
    } else {
      index = recordsLimit++;
      if (index == records.length) {
        records = Arrays.copyOf(records, index * 2);
      }
    }
    records[index] = held;
    return index + 1;
  }

  /** Frees {@code slot}, already taken out of its subject's list. */
  private void remove(int slot) {
    int state = state(slot);
    Records held = recordsAt(slot);
    SessionId id = held.session.id();
    removeFromTable(byId, byId.keys.id(id.high(), id.low()), slot);
    for (TokenRecord token : held.tokens) {
      removeFromTable(byDigest, hashOf(byDigest, token.hash()), slot);
    }
    if (state > 0) {
      records[state - 1] = null;
      if (freeRecordCount == freeRecords.length) {
        freeRecords = Arrays.copyOf(freeRecords, freeRecordCount * 2);
      }
      freeRecords[freeRecordCount++] = state - 1;
    }
    freeSlot(slot);
    sessionCount--;
    tokenCount -= held.tokens.length;
  }

  /**
   * Takes every slot in {@code leaving} out of its subject's list, walking each list touched once:
   * the list is singly linked, and finding each slot's predecessor from the head would cost the
   * square of a subject's sessions.
   */
  private void unlinkFromSubjects(BitSet leaving) {
    BitSet walked = new BitSet();
    for (int slot = leaving.nextSetBit(0); slot >= 0; slot = leaving.nextSetBit(slot + 1)) {
      int subject = (int) (longAt(slot, TEXTS) >>> 32);
      if (walked.get(subject)) {
        continue;
      }
      walked.set(subject);
      int kept = -1;
      for (int at = subjectHeads[subject] - 1; at >= 0; at = nextOfSubject(at)) {
        if (!leaving.get(at)) {
          link(subject, kept, at);
          kept = at;
        }
      }
      link(subject, kept, -1);
    }
  }

  /** Makes {@code slot} (or the end, -1) follow {@code before} (or head the list, if -1). */
  private void link(int subject, int before, int slot) {
    if (before < 0) {
      subjectHeads[subject] = slot + 1;
    } else {
      setLinks(before, pack(slot + 1, state(before)));
    }
  }

  /**
   * {@inheritDoc} The marks beside the digest table's cells: a table read from an image has none,
   * and the first lookup would make them (6 MB of fresh pages at a million), all unknown, each
   * then learned by its token's first lookup. Here every cell gets its mark at once.
   */
  @Override
  public synchronized void prepareLookups() {
    requireOpen();
    beginChange();
    try {
      byDigest.startPayload();
      carrySubjectMarks();
    } finally {
      endChange();
    }
  }

  /**
   * {@inheritDoc} Starts writing the {@linkplain #pending replayed uses} into their slots, a
   * few at a time, on a thread of its own: each first write of a mapped page copies it, which
   * the open then need not wait for. Then, if asked, moves what lookups read to the heap on
   * that thread ({@link #moveLookupsToHeap}).
   */
  @Override
  public void serving(boolean lookupsOnHeap, Consumer<HeapCopy> copied) {
    if (pending != null || lookupsOnHeap) {
      StoreThreads.daemon("tokenkeeper-uses")
          .newThread(new AfterServing(lookupsOnHeap ? copied : null)).start();
    }
  }

  /** The background work {@link #serving} starts. */
  private final class AfterServing implements Runnable {
    /** Null if lookups are not to be copied into the heap. */
    private final Consumer<HeapCopy> copied;

    AfterServing(Consumer<HeapCopy> copied) {
      this.copied = copied;
    }

    @Override
    public void run() {
      startWritingPending();
      while (writePending(PENDING_STEP) > 0) {
        Thread.yield();
      }
      long bytes = copied == null ? 0 : lookupBytesMapped();
      if (bytes > 0) {
        Runtime heap = Runtime.getRuntime();
        long max = heap.maxMemory();
        long used = heap.totalMemory() - heap.freeMemory();
        long started = System.nanoTime();
        boolean made;
        try {
          made = moveLookupsToHeap(max, used);
        } catch (OutOfMemoryError full) {
          made = false; // another thread took the room meanwhile: the rest stays mapped
        }
        if (made || !(closed || retired)) {
          copied.accept(new HeapCopy(made, bytes, max, used, System.nanoTime() - started));
        }
      }
    }
  }

  /**
   * Whether copies of {@code bytes} may be made in a heap of {@code max} bytes, {@code used} of
   * them in use (live or not yet collected): they are at most an eighth of it, and four times
   * them is free. The copies stay for as long as the index serves, and the rest must hold the
   * application, sessions revoked since (each then kept as records) and the next compaction,
   * which folds every session into new arrays: a quarter and twice, tried first, let a store
   * that worked without the copies fail its next compaction at -Xmx44m with 100,000 sessions.
   */
  static boolean heapHasRoomFor(long bytes, long max, long used) {
    return bytes <= max / 8 && max - used >= 4 * bytes;
  }

  /**
   * Moves what a lookup reads from an image's mapped pages to the heap: every chunk of slots
   * still mapped, then the digest table's cells. Every new array is made first, off the monitor
   * (its pages are faulted in as it is zeroed), and only if the heap {@linkplain #heapHasRoomFor
   * has room} for them; if making one fails, none is kept. Then each part is copied off the
   * monitor (on a cold file cache that reads the disk) and switched under it, inside a change so
   * that a lookup reading the old part retries; if anything changed since the copy began, it is
   * copied again first. Returns whether every part is on the heap: false if the heap has no
   * room, or the index is closed or retired.
   *
   * <p>Why: a file's mapped pages are 4 KiB, and among a million sessions each of a lookup's
   * reads at random then also misses the TLB and walks the page tables, where a heap on 2 MiB
   * pages ({@code -XX:+UseTransparentHugePages}) mostly does not.
   */
  boolean moveLookupsToHeap(long maxHeap, long usedHeap) {
    int[] chunks;
    int[] sizes;
    SlotTable table;
    synchronized (this) {
      if (closed || retired) {
        return false;
      }
      chunks = slots.mappedChunks();
      sizes = new int[chunks.length];
      for (int i = 0; i < chunks.length; i++) {
        sizes[i] = slots.chunkBytes(chunks[i]);
      }
      table = byDigest.cells.isDirect() ? byDigest : null;
    }
    long bytes = table == null ? 0 : 4L * table.cells.limit();
    for (int size : sizes) {
      bytes += size;
    }
    if (bytes == 0 || !heapHasRoomFor(bytes, maxHeap, usedHeap)) {
      return bytes == 0;
    }
    ByteBuffer[] copies = new ByteBuffer[chunks.length];
    int[] cells;
    try {
      for (int i = 0; i < chunks.length; i++) {
        copies[i] = SlotArena.heapChunk(sizes[i]);
      }
      cells = table == null ? null : new int[table.cells.limit()];
    } catch (OutOfMemoryError full) {
      return false; // the arrays made so far are garbage: the heap is as it was
    }
    for (int i = 0; i < chunks.length; i++) {
      if (!moveChunk(chunks[i], copies[i])) {
        return false;
      }
      copies[i] = null;
      Thread.yield();
    }
    return table == null || moveCells(table, cells);
  }

  /**
   * Moves mapped chunk {@code chunk} into {@code into}; false only if the index is closed or
   * retired. A chunk grown into a new array on the heap meanwhile needs no move.
   */
  private boolean moveChunk(int chunk, ByteBuffer into) {
    long before;
    synchronized (this) {
      before = sequence;
    }
    if (!slots.copyChunk(chunk, into)) {
      return !closed && !retired;
    }
    synchronized (this) {
      if (closed || retired) {
        return false;
      }
      if (sequence != before && !slots.copyChunk(chunk, into)) {
        return true;
      }
      beginChange();
      try {
        slots.serveFrom(chunk, into);
      } finally {
        endChange();
      }
    }
    return true;
  }

  /**
   * {@link #moveChunk} for the digest table's cells. A table built anew meanwhile is on the heap.
   */
  private boolean moveCells(SlotTable table, int[] into) {
    long before;
    synchronized (this) {
      before = sequence;
    }
    table.cells.get(0, into);
    synchronized (this) {
      if (closed || retired) {
        return false;
      }
      if (byDigest != table) {
        return true;
      }
      if (sequence != before) {
        table.cells.get(0, into);
      }
      beginChange();
      try {
        byDigest = table.servedFrom(into);
      } finally {
        endChange();
      }
    }
    return true;
  }

  /** How many bytes of mapped pages {@link #moveLookupsToHeap} would copy. */
  synchronized long lookupBytesMapped() {
    long bytes = byDigest.cells.isDirect() ? 4L * byDigest.cells.limit() : 0;
    for (int chunk : slots.mappedChunks()) {
      bytes += slots.chunkBytes(chunk);
    }
    return bytes;
  }

  /** How many of the parts {@link #moveLookupsToHeap} moves are still mapped pages; for tests. */
  synchronized int mappedLookupParts() {
    return slots.mappedChunks().length + (byDigest.cells.isDirect() ? 1 : 0);
  }

  /** {@inheritDoc} Stops writing the replayed uses into slots no lookup reads any more. */
  @Override
  public void retire() {
    retired = true;
  }

  /**
   * Fixes the order {@link #writePending} writes the replayed uses in, their slots ascending,
   * sorted off the monitor: a store call made as the store starts to serve does not wait for a
   * sort of a hundred thousand slots. Uses replayed from then on are written into their slots.
   */
  void startWritingPending() {
    int[] order;
    synchronized (this) {
      if (pending == null || pendingOrder != null) {
        return;
      }
      order = pending.slots();
    }
    Arrays.sort(order);
    synchronized (this) {
      // Values are read from the table as each slot is written; only a slot added since counts.
      if (pending != null && pendingOrder == null && pending.size() == order.length) {
        pendingOrder = order;
      }
    }
  }

  /**
   * Writes up to {@code max} of the {@linkplain #pending replayed uses} into their slots, in
   * slot order, and forgets them once all are written. Returns how many are left; 0 also once
   * the index is closed or retired.
   */
  synchronized int writePending(int max) {
    PendingUses replayed = pending;
    if (replayed == null || closed || retired) {
      return 0;
    }
    if (pendingOrder == null) {
      pendingOrder = replayed.slots();
      Arrays.sort(pendingOrder);
    }
    int[] held = pendingOrder;
    int from = pendingWritten;
    int to = (int) Math.min(held.length, (long) from + max);
    beginChange();
    try {
      for (int i = from; i < to; i++) {
        int slot = held[i];
        if (state(slot) != PLAIN) {
          continue;
        }
        long used = usedOf(slot);
        long expires = expiresOf(slot);
        // A slot written since with these or later ones is not copied to be written the same.
        if (used != slots.get(slot, LAST_USED) || expires != slots.get(slot, EXPIRES)) {
          slots.set(slot, LAST_USED, used);
          slots.set(slot, EXPIRES, expires);
        }
      }
      pendingWritten = to;
      if (to == held.length) {
        pending = null;
        pendingOrder = null;
        pendingWritten = 0;
      }
    } finally {
      endChange();
    }
    return held.length - to;
  }

  /** How many sessions have replayed uses not yet written into their slots; for tests. */
  synchronized int pendingUses() {
    return pending == null ? 0 : pending.size() - pendingWritten;
  }

  /** How many digest cells carry their subject's mark; for tests. */
  synchronized int subjectMarksKnown() {
    int[] marks = byDigest.payload();
    int known = 0;
    for (int at = 0; marks != null && at < marks.length; at++) {
      known += marks[at] != 0 ? 1 : 0;
    }
    return known;
  }

  /** Forgets the texts no session names any more, after a purge. */
  private void dropUnusedTexts() {
    BitSet used = new BitSet(texts.idLimit());
    for (int slot = 0; slot < slotLimit; slot++) {
      if (state(slot) != FREE) {
        long ids = longAt(slot, TEXTS);
        used.set((int) (ids >>> 32));
        if ((int) ids >= 0) {
          used.set((int) ids);
        }
      }
    }
    if (texts.retainOnly(used)) {
      carrySubjectMarks();
    }
  }

  /**
   * Sets the mark beside each digest cell anew ({@link #lookup}): the texts moved. Walks the cells
   * rather than each session's tokens: a session kept as records has a cell per token, and a
   * probe for one of them may pass another cell of the same session first.
   */
  private void carrySubjectMarks() {
    SlotTable table = byDigest;
    if (table.payload() == null) {
      return;
    }
    IntBuffer cells = table.cells;
    for (int at = 0; at < cells.limit(); at++) {
      int slot = SlotTable.slotAt(cells, at);
      if (slot >= 0) {
        table.carry(at, subjectMark(slot));
      }
    }
  }

  /** The mark of a digest cell naming {@code slot}: where its subject starts, plus one. */
  private int subjectMark(int slot) {
    return texts.startOf((int) (longAt(slot, TEXTS) >>> 32)) + 1;
  }

  /** Rebuilds the tables now if the sessions and tokens about to be added would crowd them. */
  private void makeRoom(int sessions, int tokens) {
    if (!byId.hasRoomFor(sessions)) {
      byId = idTable(SlotTable.growing(sessionCount + sessions, KeyHash.fresh()));
    }
    if (!byDigest.hasRoomFor(tokens)) {
      byDigest = digestTable(SlotTable.growing(tokenCount + tokens, KeyHash.fresh()));
    }
  }

  @Override
  public synchronized void expect(int sessions, int tokens) {
    requireOpen();
    beginChange();
    try {
      int wanted = (int) Math.min(MAX_SLOTS, (long) slotLimit + Math.max(0, sessions));
      slots.ensureCapacity(wanted);
      if (!byId.hasRoomFor(sessions)) {
        byId = idTable(SlotTable.tight(sessionCount + sessions, KeyHash.fresh()));
      }
      if (!byDigest.hasRoomFor(tokens)) {
        byDigest = digestTable(SlotTable.tight(tokenCount + tokens, KeyHash.fresh()));
      }
    } finally {
      endChange();
    }
  }

  @Override
  public synchronized void trim() {
    requireOpen();
    beginChange();
    try {
      if (byId.isLooseFor(sessionCount)) {
        byId = idTable(SlotTable.tight(sessionCount, KeyHash.fresh()));
      }
      if (byDigest.isLooseFor(tokenCount)) {
        byDigest = digestTable(SlotTable.tight(tokenCount, KeyHash.fresh()));
      }
      slots.trimTo(slotLimit);
      texts.trim();
      if (!Room.fits(subjectHeads.length, texts.idLimit())) {
        subjectHeads = Arrays.copyOf(subjectHeads, Room.around(texts.idLimit()));
      }
    } finally {
      endChange();
    }
  }

  private SlotTable idTable(SlotTable table) {
    for (int slot = 0; slot < slotLimit; slot++) {
      if (state(slot) != FREE) {
        table.add(table.keys.id(longAt(slot, ID_HIGH), longAt(slot, ID_LOW)), slot);
      }
    }
    return table;
  }

  private SlotTable digestTable(SlotTable table) {
    table.startPayload();
    for (int slot = 0; slot < slotLimit; slot++) {
      int state = state(slot);
      if (state == PLAIN) {
        table.add(table.keys.digest(longAt(slot, DIGEST), longAt(slot, DIGEST + 1),
            longAt(slot, DIGEST + 2), longAt(slot, DIGEST + 3)), slot, subjectMark(slot));
      } else if (state > 0) {
        for (TokenRecord token : records[state - 1].tokens) {
          table.add(hashOf(table, token.hash()), slot, subjectMark(slot));
        }
      }
    }
    return table;
  }

  /** Indexes {@code slot} under {@code id} (unless null) and each of {@code tokens}. */
  private void addToTables(int slot, SessionId id, List<TokenRecord> tokens) {
    if (id != null) {
      byId.add(byId.keys.id(id.high(), id.low()), slot);
    }
    for (TokenRecord token : tokens) {
      byDigest.add(hashOf(byDigest, token.hash()), slot, subjectMark(slot));
    }
  }

  private static void removeFromTable(SlotTable table, int hash, int slot) {
    IntBuffer cells = table.cells;
    for (int at = SlotTable.start(cells, hash); cells.get(at) != SlotTable.EMPTY;
        at = SlotTable.next(cells, at)) {
      if (SlotTable.slotAt(cells, at) == slot) {
        table.removeAt(at);
        return;
      }
    }
  }

  /** {@link #slotOf(SessionId)}, trying the slot a recent lookup found for it first. */
  private int slotFound(SessionId id) {
    int hinted = foundSlots[foundHint(id)] - 1;
    if (hinted >= 0 && hinted < slotLimit && state(hinted) != FREE
        && longAt(hinted, ID_HIGH) == id.high() && longAt(hinted, ID_LOW) == id.low()) {
      return hinted; // a session's id is in one slot at most: this is its slot
    }
    return slotOf(id);
  }

  /**
   * Unkeyed on purpose: a hint is one entry, checked against the slot's id, and a wrong or
   * colliding one costs a probe of the keyed {@link #byId}; ids are random, and an id an attacker
   * picks (a lookup by id) can only miss its hint, never lengthen a probe.
   */
  private static int foundHint(SessionId id) {
    long mixed = id.high() ^ id.low();
    return (int) (mixed ^ (mixed >>> 32)) & (FOUND_HINTS - 1);
  }

  /** The slot of session {@code id}, or -1. */
  private int slotOf(SessionId id) {
    return slotOf(id.high(), id.low());
  }

  private int slotOf(long high, long low) {
    SlotTable table = byId;
    IntBuffer cells = table.cells;
    int hash = table.keys.id(high, low);
    for (int at = SlotTable.start(cells, hash); cells.get(at) != SlotTable.EMPTY;
        at = SlotTable.next(cells, at)) {
      int slot = SlotTable.candidate(cells, at, hash);
      if (slot >= 0 && longAt(slot, ID_HIGH) == high && longAt(slot, ID_LOW) == low) {
        return slot;
      }
    }
    return -1;
  }

  /** The slot of the session holding token {@code hash}, or -1. */
  private int slotOf(TokenHash hash) {
    TokenEntry entry = lookup(hash, sequence);
    return entry == null ? -1 : slotOf(entry.session().id());
  }

  private void requireNew(SessionId id, List<TokenRecord> added) {
    // A set only where two tokens could repeat each other: most calls add one.
    Set<TokenHash> seen = added.size() > 1 ? new HashSet<>() : null;
    for (TokenRecord token : added) {
      Objects.requireNonNull(token, "token");
      if (!token.sessionId().equals(id)) {
        throw new IllegalArgumentException(
            "token of session " + token.sessionId() + " added to session " + id);
      }
      if (lookup(token.hash(), sequence) != null || (seen != null && !seen.add(token.hash()))) {
        throw new IllegalArgumentException("a token is already stored under " + token.hash());
      }
    }
  }

  private static int indexOf(TokenRecord[] tokens, TokenHash hash) {
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i].hash().equals(hash)) {
        return i;
      }
    }
    return -1;
  }

  private int state(int slot) {
    return (int) longAt(slot, LINKS);
  }

  private void setState(int slot, int state) {
    setLinks(slot, pack((int) (longAt(slot, LINKS) >>> 32), state));
  }

  /**
   * The first slot of {@code subject}'s list, or -1. The pool holds labels too, whose ids may lie
   * past the heads, which grow for subjects only.
   */
  private int firstOfSubject(String subject) {
    int textId = texts.idOf(subject);
    return textId < 0 || textId >= subjectHeads.length ? -1 : subjectHeads[textId] - 1;
  }

  private int nextOfSubject(int slot) {
    return (int) (longAt(slot, LINKS) >>> 32) - 1;
  }

  private void setLinks(int slot, long links) {
    slots.set(slot, LINKS, links);
  }

  private long longAt(int slot, int field) {
    return slots.get(slot, field);
  }

  /** A plain slot's last use, with any {@linkplain #pending replayed} use not yet in it. */
  private long usedOf(int slot) {
    PendingUses replayed = pending;
    long inSlot = slots.get(slot, LAST_USED);
    return replayed == null ? inSlot : replayed.used(slot, inSlot);
  }

  /** A plain slot's expiry, likewise. */
  private long expiresOf(int slot) {
    PendingUses replayed = pending;
    long inSlot = slots.get(slot, EXPIRES);
    return replayed == null ? inSlot : replayed.expires(slot, inSlot);
  }

  static long pack(int high, int low) {
    return ((long) high << 32) | (low & 0xFFFF_FFFFL);
  }

  /** Where {@code table} places token {@code hash}. */
  private static int hashOf(SlotTable table, TokenHash hash) {
    return table.keys.digest(hash.word(0), hash.word(1), hash.word(2), hash.word(3));
  }

  private static boolean fits(Instant instant) {
    return Math.abs(instant.getEpochSecond()) < MAX_SECONDS;
  }

  /** {@code instant} in nanoseconds, or past every plain session's instants if it does not fit. */
  private static long nanosOrBeyond(Instant instant) {
    return fits(instant) ? nanos(instant)
        : instant.getEpochSecond() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  private static boolean fitsNanos(long nanos) {
    return Math.abs(Math.floorDiv(nanos, 1_000_000_000L)) < MAX_SECONDS;
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  private static Instant instant(long nanos) {
    return Instant.ofEpochSecond(0, nanos); // which splits the nanos itself
  }

  private void beginChange() {
    sequence = sequence + 1;
    // The slot writes that follow must not become visible before the sequence turns odd.
    VarHandle.storeStoreFence();
  }

  private void endChange() {
    sequence = sequence + 1;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }
}
