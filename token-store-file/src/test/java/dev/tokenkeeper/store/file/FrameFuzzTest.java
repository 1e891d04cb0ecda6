package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static dev.tokenkeeper.store.file.RandomSessions.hashOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.SessionRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests of the record codec (format 2, and the format 1 decoder) and reader, over seeded
 * random inputs: the decoder throws
 * nothing but {@link IllegalArgumentException}; the reader never throws on any bytes; and a
 * corrupted file never yields a record it did not hold, only the intact frames before the damage.
 *
 * <p>A failure names its seed and case; rerun one seed with
 * {@code mvn -B -pl token-store-file test -Dtest=FrameFuzzTest -Dfuzz.seed=N}, or more seeds with
 * {@code -Dfuzz.seeds=500}.
 */
class FrameFuzzTest {

  private static final int CASES_PER_SEED = 1_500;
  private static final String TEXT =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789@._- éüß中文😀";

  static Stream<Long> seeds() {
    return TestSeed.fuzzSeeds(8);
  }

  private static String rerun(long seed, int i) {
    return "case " + i + ", " + TestSeed.replay(seed, TestSeed.FUZZ_PROPERTY);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void decode_randomAndMutatedBodies_returnsAnEntryOrThrowsIllegalArgumentOnly(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED; i++) {
      byte[] body;
      if (random.nextBoolean()) {
        body = new byte[random.nextInt(Frames.MAX_BODY + 1)];
        random.nextBytes(body);
        body[0] = (byte) random.nextInt(12);
      } else {
        ByteBuffer frame = Frames.encode(entry(random));
        body = Arrays.copyOfRange(frame.array(), Frames.HEADER, frame.limit());
        body = mutate(random, body);
      }
      try {
        Frames.decode(ByteBuffer.wrap(body), 1 + random.nextInt(Frames.VERSION), null);
      } catch (IllegalArgumentException expected) {
        // the documented outcome for a body that is no entry
      } catch (RuntimeException e) {
        throw new AssertionError("decode threw " + e + " for " + rerun(seed, i), e);
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void encode_thenDecode_returnsTheSameEntry(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED; i++) {
      LogEntry entry = entry(random);
      ByteBuffer frame = Frames.encode(entry);
      ByteBuffer body = ByteBuffer.wrap(frame.array(), Frames.HEADER, frame.limit() - Frames.HEADER);
      assertEquals(entry, Frames.decode(body.slice(), Frames.VERSION, null), rerun(seed, i));
      LogEntry.Mark mark = new LogEntry.Mark(random.nextLong() & Long.MAX_VALUE,
          random.nextBoolean());
      frame = Frames.encode(mark);
      assertEquals(Frames.MARK_FRAME, frame.limit());
      body = ByteBuffer.wrap(frame.array(), Frames.HEADER, frame.limit() - Frames.HEADER);
      assertEquals(mark, Frames.decode(body.slice(), Frames.VERSION, null), rerun(seed, i));
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void read_corruptedLog_yieldsOnlyTheIntactFramesBeforeTheDamage(long seed) throws IOException {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED / 5; i++) {
      List<LogEntry> written = new ArrayList<>();
      List<Integer> frameEnds = new ArrayList<>();
      ByteBuffer file = ByteBuffer.allocate(1 << 19);
      file.put(Frames.LOG_MAGIC);
      int count = 1 + random.nextInt(20);
      for (int n = 0; n < count; n++) {
        LogEntry entry = entry(random);
        written.add(entry);
        file.put(Frames.encode(entry));
        frameEnds.add(file.position());
      }
      byte[] original = Arrays.copyOf(file.array(), file.position());
      byte[] damaged = mutate(random, original);
      int firstChange = firstDifference(original, damaged);
      // Frames that end before the first changed byte are intact; no other may be read.
      int intact = 0;
      while (intact < count && frameEnds.get(intact) <= firstChange) {
        intact++;
      }
      List<LogEntry> read = new ArrayList<>();
      FrameReader.Outcome outcome;
      try {
        outcome = FrameReader.read(new BytesFile(damaged), Frames.LOG_MAGIC, null, false, read::add);
        FrameReader.isTornTail(new BytesFile(damaged), Math.max(0, outcome.damageAt));
        FrameReader.markAfter(new BytesFile(damaged), Math.max(0, outcome.damageAt));
      } catch (RuntimeException e) {
        throw new AssertionError("reader threw " + e + " for " + rerun(seed, i), e);
      }
      if (read.size() > intact) {
        fail("accepted a damaged frame (" + read.size() + " read, " + intact + " intact) for "
            + rerun(seed, i));
      }
      assertEquals(written.subList(0, read.size()), read, rerun(seed, i));
      if (firstChange < damaged.length || damaged.length < original.length) {
        assertTrue(!outcome.isClean() || read.size() == intact, rerun(seed, i));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void read_randomBytes_neverThrowsAndReadsNothingFalse(long seed) throws IOException {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED / 5; i++) {
      byte[] bytes = new byte[random.nextInt(3 * Frames.MAX_BODY)];
      random.nextBytes(bytes);
      if (random.nextBoolean() && bytes.length >= Frames.HEADER) {
        System.arraycopy(Frames.LOG_MAGIC, 0, bytes, 0, Frames.HEADER);
      }
      List<LogEntry> read = new ArrayList<>();
      FrameReader.Outcome outcome =
          FrameReader.read(new BytesFile(bytes), Frames.LOG_MAGIC, null, false, read::add);
      assertEquals(List.of(), read, rerun(seed, i));
      assertTrue(bytes.length <= Frames.HEADER || !outcome.isClean(), rerun(seed, i));
    }
  }

  /** One of: bit flips, random or zeroed bytes over a range, a cut, an insertion, a deletion. */
  private static byte[] mutate(Random random, byte[] in) {
    byte[] out = in.clone();
    int at = random.nextInt(Math.max(1, in.length));
    switch (random.nextInt(6)) {
      case 0:
        for (int flips = 1 + random.nextInt(4), k = 0; k < flips; k++) {
          int pos = Math.min(in.length - 1, at + random.nextInt(16));
          out[pos] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
      case 1: {
        int end = Math.min(in.length, at + 1 + random.nextInt(64));
        for (int pos = at; pos < end; pos++) {
          out[pos] = (byte) random.nextInt(256);
        }
        return out;
      }
      case 2:
        Arrays.fill(out, at, Math.min(in.length, at + 1 + random.nextInt(64)), (byte) 0);
        return out;
      case 3:
        return Arrays.copyOf(in, at);
      case 4: {
        byte[] extra = new byte[1 + random.nextInt(32)];
        random.nextBytes(extra);
        byte[] grown = new byte[in.length + extra.length];
        System.arraycopy(in, 0, grown, 0, at);
        System.arraycopy(extra, 0, grown, at, extra.length);
        System.arraycopy(in, at, grown, at + extra.length, in.length - at);
        return grown;
      }
      default: {
        int cut = Math.min(in.length - at, 1 + random.nextInt(32));
        byte[] shrunk = new byte[in.length - cut];
        System.arraycopy(in, 0, shrunk, 0, at);
        System.arraycopy(in, at + cut, shrunk, at, in.length - at - cut);
        return shrunk;
      }
    }
  }

  private static int firstDifference(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return n;
  }

  static LogEntry entry(Random random) {
    SessionId id = id(random);
    switch (random.nextInt(10)) {
      case 0:
      case 1: {
        SessionRecord session = session(random, id);
        List<TokenRecord> tokens = new ArrayList<>();
        for (int n = random.nextInt(4); n > 0; n--) {
          tokens.add(token(random, id));
        }
        return new LogEntry.Create(session, tokens);
      }
      case 2:
        return new LogEntry.Rotate(new Rotation(id,
            random.nextBoolean() ? null : hashOfBytes(random), hashOfBytes(random),
            instant(random), random.nextBoolean() ? null : sealed(random),
            TokenRecord.of(hashOfBytes(random), id),
            TokenRecord.expiring(hashOfBytes(random), id, instant(random)), instant(random)));
      case 3:
        return new LogEntry.RevokeSession(id, instant(random));
      case 4: {
        List<LogEntry.Use> uses = new ArrayList<>();
        for (int n = 1 + random.nextInt(Frames.MAX_TOUCHES); n > 0; n--) {
          uses.add(new LogEntry.Use(id(random), instant(random), instant(random)));
        }
        return new LogEntry.Touch(uses);
      }
      case 5:
        return random.nextBoolean() ? new LogEntry.Purge(instant(random))
            : new LogEntry.RevokeAll(text(random, 1 + random.nextInt(256)), instant(random));
      case 6:
        return new LogEntry.SessionState(session(random, id));
      case 7:
        return new LogEntry.TokenState(token(random, id));
      case 8:
        return new LogEntry.Imported(HexFormat.of().formatHex(hashOfBytes(random).bytes()),
            random.nextInt(1 << 20), instant(random));
      default:
        return new LogEntry.End(random.nextLong());
    }
  }

  private static SessionId id(Random random) {
    byte[] id = new byte[16];
    random.nextBytes(id);
    return SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
  }

  private static SessionRecord session(Random random, SessionId id) {
    java.time.Instant created = instant(random);
    Session session = new Session(id, text(random, 1 + random.nextInt(256)),
        random.nextBoolean() ? null : text(random, random.nextInt(257)), created,
        created.plusSeconds(random.nextInt(1000)),
        created.plusSeconds(1 + random.nextInt(1 << 20)));
    ClientBinding binding = random.nextInt(3) != 0 ? null : new ClientBinding(
        random.nextBoolean() ? null : "192.0.2.0/24", text(random, 1 + random.nextInt(64)));
    return new SessionRecord(session, binding, random.nextBoolean() ? null : hashOfBytes(random),
        random.nextBoolean() ? null : instant(random));
  }

  private static TokenRecord token(Random random, SessionId id) {
    java.time.Instant rotated = random.nextBoolean() ? null : instant(random);
    return new TokenRecord(hashOfBytes(random), id, random.nextBoolean() ? null : instant(random),
        rotated, rotated == null || random.nextBoolean() ? null : sealed(random));
  }

  private static SealedSuccessor sealed(Random random) {
    byte[] bytes = new byte[29 + random.nextInt(SealedSuccessor.MAX_LENGTH - 28)];
    random.nextBytes(bytes);
    return SealedSuccessor.of(bytes, instant(random));
  }

  private static java.time.Instant instant(Random random) {
    return T0.plusSeconds(random.nextInt(1 << 24)).plusNanos(random.nextInt(1_000_000_000));
  }

  /** Up to {@code max} characters (non-blank) from a pool with multi-byte and surrogate chars. */
  private static String text(Random random, int max) {
    StringBuilder out = new StringBuilder();
    int[] points = TEXT.codePoints().toArray();
    while (out.length() < max) {
      int cp = points[random.nextInt(points.length)];
      if (Character.charCount(cp) + out.length() > max) {
        break;
      }
      out.appendCodePoint(cp);
    }
    String s = out.toString();
    return s.isBlank() ? "x" : s;
  }

  /** A read-only file over bytes. */
  private static final class BytesFile implements Disk.File {
    private final byte[] bytes;

    BytesFile(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer dst, long position) {
      if (position >= bytes.length) {
        return -1;
      }
      int n = (int) Math.min(dst.remaining(), bytes.length - position);
      dst.put(bytes, (int) position, n);
      return n;
    }

    @Override
    public void append(ByteBuffer src) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void force() {}

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public void truncate(long size) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
