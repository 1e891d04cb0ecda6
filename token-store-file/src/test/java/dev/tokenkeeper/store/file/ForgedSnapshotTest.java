package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of format 4 that pass every checksum but do not hold together, forged frame by frame
 * as damage or an attacker could leave them: the open refuses each with
 * {@link StoreCorruptedException} naming the file that holds the bad record, never an unchecked
 * exception, an {@link OutOfMemoryError} or a store serving part of what the file says.
 */
class ForgedSnapshotTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final long NANOS = T0.getEpochSecond() * 1_000_000_000L;
  private static final long HOUR = 3_600_000_000_000L;
  private static final String SNAPSHOT = "snapshot-0000000002";
  private static final String LOG = "log-0000000002";

  @TempDir
  Path tmp;

  private int stores;

  /** One session of a block, as its fields lie there. */
  private record Raw(long high, long low, long digest, long created, long lastUsed,
      long expires, int subject, int label) {

    Raw(int n) {
      this(n, n, n, NANOS, NANOS, NANOS + HOUR, 0, 0xFFFF);
    }

    Raw digest(long value) {
      return new Raw(high, low, value, created, lastUsed, expires, subject, label);
    }

    Raw instants(long c, long u, long e) {
      return new Raw(high, low, digest, c, u, e, subject, label);
    }

    Raw texts(int s, int l) {
      return new Raw(high, low, digest, created, lastUsed, expires, s, l);
    }
  }

  private static LogEntry block(List<byte[]> texts, Raw... sessions) {
    ByteBuffer block = ByteBuffer.allocate(Frames.MAX_BLOCK);
    block.putShort((short) texts.size());
    for (byte[] text : texts) {
      block.putShort((short) text.length).put(text);
    }
    block.putShort((short) sessions.length);
    for (Raw s : sessions) {
      block.putLong(s.high).putLong(s.low).putLong(s.digest).putLong(1).putLong(2).putLong(3)
          .putLong(s.created).putLong(s.lastUsed).putLong(s.expires)
          .putShort((short) s.subject).putShort((short) s.label);
    }
    return new LogEntry.PlainSessions(block.flip());
  }

  private static LogEntry block(Raw... sessions) {
    return block(List.of(utf8("alice")), sessions);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static TokenHash digest(long first) {
    return TokenHash.sha256Words(first, 1, 2, 3);
  }

  /** A session the block could not hold (it is bound), as its snapshot frames. */
  private static List<LogEntry> framed(int n, long tokenDigest) {
    SessionId id = SessionId.of(n, n);
    SessionRecord session = new SessionRecord(new Session(id, "alice", null, T0, T0,
        T0.plusSeconds(3600)), new dev.tokenkeeper.core.ClientBinding("10.0.0.0/8", null), null,
        null);
    return List.of(new LogEntry.SessionState(session),
        new LogEntry.TokenState(TokenRecord.of(digest(tokenDigest), id)));
  }

  private static LogEntry sizes(long sessions, long tokens) {
    return new LogEntry.Sizes(sessions, tokens);
  }

  private static List<LogEntry> entries(Object... parts) {
    List<LogEntry> all = new ArrayList<>();
    for (Object part : parts) {
      if (part instanceof LogEntry entry) {
        all.add(entry);
      } else {
        for (Object each : (List<?>) part) {
          all.add((LogEntry) each);
        }
      }
    }
    return all;
  }

  /** A store of snapshot 2 holding {@code snapshot} (an end record added) and a closed log 2. */
  private Path store(byte[] snapshotMagic, List<LogEntry> snapshot, List<LogEntry> log)
      throws IOException {
    Path dir = tmp.resolve("store" + stores++);
    Files.createDirectories(dir);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(snapshotMagic);
    for (LogEntry entry : snapshot) {
      bytes.writeBytes(frame(entry));
    }
    bytes.writeBytes(frame(new LogEntry.End(snapshot.size())));
    Files.write(dir.resolve(SNAPSHOT), bytes.toByteArray());
    bytes.reset();
    bytes.writeBytes(Frames.LOG_MAGIC);
    for (LogEntry entry : log) {
      bytes.writeBytes(frame(entry));
    }
    bytes.writeBytes(frame(new LogEntry.Mark(bytes.size(), true)));
    Files.write(dir.resolve(LOG), bytes.toByteArray());
    return dir;
  }

  private Path store(List<LogEntry> snapshot) throws IOException {
    return store(Frames.SNAPSHOT_MAGIC, snapshot, List.of());
  }

  private static byte[] frame(LogEntry entry) {
    ByteBuffer frame = Frames.encode(entry);
    byte[] out = new byte[frame.remaining()];
    frame.get(out);
    return out;
  }

  private static FileTokenStore open(Path dir) {
    return FileTokenStore.builder().directory(dir).build();
  }

  /** Opens {@code dir}, which must be refused as damage in {@code file}, and nothing else. */
  private static void assertRefused(Path dir, String file, String why) {
    try (FileTokenStore store = open(dir)) {
      fail(why + ": opened with " + store.findSessions("alice").size() + " of alice's sessions");
    } catch (Throwable thrown) {
      StoreCorruptedException refused = assertInstanceOf(StoreCorruptedException.class, thrown,
          why + ": " + thrown);
      assertTrue(refused.file().endsWith(file), why + ": names " + refused.file() + ", not "
          + file + " (" + refused.getMessage() + ")");
    }
  }

  @Test
  void theForgeryKit_writesAStoreThatOpens() throws IOException {
    Path dir = store(entries(sizes(3, 3), block(new Raw(1), new Raw(2)), framed(3, 30)));
    try (FileTokenStore store = open(dir)) {
      assertEquals(3, store.findSessions("alice").size());
      assertTrue(store.find(digest(1)).isPresent());
      assertTrue(store.find(digest(30)).isPresent());
    }
  }

  @Test
  void aSessionOrTokenTwice_acrossBlocksOrAgainstAFramedSession_isRefusedNamingTheSnapshot()
      throws IOException {
    assertRefused(store(entries(block(new Raw(1)), block(new Raw(1)))), SNAPSHOT,
        "one session in two blocks");
    assertRefused(store(entries(block(new Raw(1)), block(new Raw(2).digest(1)))), SNAPSHOT,
        "one token in two blocks");
    assertRefused(store(entries(block(new Raw(1), new Raw(1).digest(9)))), SNAPSHOT,
        "one session twice in a block");
    assertRefused(store(entries(block(new Raw(3)), framed(3, 30))), SNAPSHOT,
        "a block's session framed again");
    assertRefused(store(entries(framed(3, 30), block(new Raw(3)))), SNAPSHOT,
        "a framed session in a block again");
    assertRefused(store(entries(framed(3, 30), block(new Raw(4).digest(30)))), SNAPSHOT,
        "a framed session's token in a block");
    assertRefused(store(entries(block(new Raw(4)), framed(3, 4))), SNAPSHOT,
        "a block's token framed again");
  }

  @Test
  void aBlockOutOfItsOwnRules_isRefusedNamingTheSnapshot() throws IOException {
    assertRefused(store(entries(block(new Raw(1).texts(1, 0xFFFF)))), SNAPSHOT,
        "a subject index out of range");
    assertRefused(store(entries(block(new Raw(1).texts(0, 1)))), SNAPSHOT,
        "a label index out of range");
    assertRefused(store(entries(block(new Raw(1).instants(NANOS, NANOS, NANOS)))), SNAPSHOT,
        "an expiry at creation");
    assertRefused(store(entries(block(new Raw(1).instants(NANOS, NANOS - 1, NANOS + HOUR)))),
        SNAPSHOT, "a use before creation");
    assertRefused(store(entries(block(new Raw(1).instants(Long.MIN_VALUE, Long.MIN_VALUE,
        NANOS)))), SNAPSHOT, "an instant past the nanosecond range");
    assertRefused(store(entries(block(List.of(utf8("al\nice")), new Raw(1)))), SNAPSHOT,
        "a subject with a control character");
    assertRefused(store(entries(block(List.of(utf8("   ")), new Raw(1)))), SNAPSHOT,
        "a blank subject");
    assertRefused(store(entries(block(List.of(new byte[0]), new Raw(1)))), SNAPSHOT,
        "an empty subject");
    assertRefused(store(entries(block(List.of(utf8("x".repeat(257))), new Raw(1)))), SNAPSHOT,
        "a subject too long");
    assertRefused(store(entries(block(List.of(utf8("alice"), utf8("ph\u0007one")),
        new Raw(1).texts(0, 1)))), SNAPSHOT, "a label with a control character");
  }

  @Test
  void aBlockWithBytesThatAreNotUtf8_isRefused_notReadAsSomeOtherText() throws IOException {
    // A lone surrogate has no UTF-8 spelling; CESU-style bytes for one are invalid UTF-8.
    byte[] loneSurrogate = {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80};
    assertRefused(store(entries(block(List.of(loneSurrogate), new Raw(1)))), SNAPSHOT,
        "a subject of a lone surrogate's bytes");
    byte[] invalid = {'a', 'l', (byte) 0xFF, 'i'};
    assertRefused(store(entries(block(List.of(invalid), new Raw(1)))), SNAPSHOT,
        "a subject that is not UTF-8");
    byte[] overlong = {'a', (byte) 0xC0, (byte) 0xAF};
    assertRefused(store(entries(block(List.of(utf8("alice"), overlong),
        new Raw(1).texts(0, 1)))), SNAPSHOT, "a label in overlong UTF-8");
  }

  @Test
  void aSizesRecordThatIsImpossibleOrOutOfPlace_isRefused() throws IOException {
    assertRefused(store(entries(sizes(1L << 31, 1L << 31), block(new Raw(1)))), SNAPSHOT,
        "2^31 sessions claimed in a small file");
    assertRefused(store(entries(sizes(Long.MAX_VALUE, 1), block(new Raw(1)))), SNAPSHOT,
        "2^63 - 1 sessions claimed");
    assertRefused(store(entries(block(new Raw(1)), sizes(1, 1))), SNAPSHOT,
        "a sizes record after a block");
    assertRefused(store(entries(sizes(1, 1), sizes(1, 1), block(new Raw(1)))), SNAPSHOT,
        "two sizes records");
  }

  @Test
  void snapshotRecordsInALog_orBlocksInAFormat3Snapshot_areRefused() throws IOException {
    assertRefused(store(Frames.SNAPSHOT_MAGIC, entries(block(new Raw(1))),
        entries(block(new Raw(2)))), LOG, "a block in a log");
    assertRefused(store(Frames.SNAPSHOT_MAGIC, entries(block(new Raw(1))),
        entries(sizes(1, 1))), LOG, "a sizes record in a log");
    byte[] format3 = Frames.SNAPSHOT_MAGIC.clone();
    format3[Frames.HEADER - 1] = 3;
    assertRefused(store(format3, entries(block(new Raw(1))), List.of()), SNAPSHOT,
        "a block in a format 3 snapshot");
    assertRefused(store(format3, entries(sizes(1, 1)), List.of()), SNAPSHOT,
        "a sizes record in a format 3 snapshot");
  }

  /**
   * A format 4 log's records mean the same in format 3, so a damaged version byte would go
   * unseen; but an upgrade rewrites every file, so no file follows one of a newer format. (Found
   * by {@code PowerCutTest} seed 1184, which XORs byte 7 of log-0000000035 with 7.)
   */
  @Test
  void aLogWhoseHeaderSaysAnOlderFormat_afterAFormat4Snapshot_isRefused() throws IOException {
    Path dir = store(Frames.SNAPSHOT_MAGIC, entries(sizes(1, 1), block(new Raw(1))),
        entries(new LogEntry.RevokeAll("alice", T0.plusSeconds(1))));
    byte[] log = Files.readAllBytes(dir.resolve(LOG));
    log[Frames.HEADER - 1] = 3;
    Files.write(dir.resolve(LOG), log);
    assertRefused(dir, LOG, "a format 4 log whose version byte says 3");
  }
}
