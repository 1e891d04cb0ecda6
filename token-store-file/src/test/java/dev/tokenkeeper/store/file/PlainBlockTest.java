package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.store.file.RandomSessions.hashOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The blocks of plain sessions of format 4 snapshots ({@link LiveIndex#load}), as that release
 * wrote them ({@link FormatFourBlocks}): what one index held, another reads back exactly, and a
 * block that does not hold together is refused with a typed error, never half-understood.
 */
class PlainBlockTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00.123456789Z");

  @Test
  void snapshotThenLoad_rebuildsEverySessionExactly_plainAndNot() {
    long seed = TestSeed.of("PlainBlockTest");
    Random random = new Random(seed);
    LiveIndex written = LiveIndex.create();
    List<SessionRecord> sessions = new ArrayList<>();
    List<List<TokenRecord>> tokens = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      String subject = random.nextInt(4) == 0 ? "ü" + "ser" + (i / 3) + "@例え.jp"
          : "user" + (i / 3) + "@example.com";
      String label = switch (random.nextInt(4)) {
        case 0 -> null;
        case 1 -> "x".repeat(Session.MAX_TEXT_LENGTH);
        case 2 -> "Firefox on Linux " + (i % 7);
        default -> "téléphone " + "\uD83D\uDCF1";
      };
      Instant created = T0.plusNanos(random.nextInt(1_000_000_000));
      Session session = new Session(id, subject, label, created,
          created.plusNanos(random.nextInt(1000)), created.plusSeconds(3600 + i));
      ClientBinding binding = i % 10 == 0 ? new ClientBinding("10.0.0.0/24", null) : null;
      SessionRecord record = new SessionRecord(session, binding, null, null);
      List<TokenRecord> own = new ArrayList<>();
      own.add(TokenRecord.of(hashOfBytes(random), id));
      if (i % 13 == 0) {
        own.add(TokenRecord.expiring(hashOfBytes(random), id, created.plusSeconds(60)));
      }
      written.create(record, own);
      if (i % 17 == 0) {
        written.revokeSession(id, created.plusSeconds(1));
        record = record.revokedAt(created.plusSeconds(1));
      }
      sessions.add(record);
      tokens.add(own);
    }

    LiveIndex read = LiveIndex.create();
    List<byte[]> blocks = FormatFourBlocks.of(written, record ->
        read.create(record, written.tokensOf(record.id())));
    for (byte[] block : blocks) {
      assertTrue(block.length <= Frames.MAX_BLOCK, "a block of " + block.length + " bytes");
      read.load(ByteBuffer.wrap(block));
    }

    assertTrue(blocks.size() > 10, "3,000 sessions fill many blocks: " + blocks.size());
    assertEquals(written.sessionCount(), read.sessionCount());
    assertEquals(written.tokenCount(), read.tokenCount());
    for (int i = 0; i < sessions.size(); i++) {
      SessionRecord expected = sessions.get(i);
      assertEquals(expected, read.findSession(expected.id()).orElseThrow(), TestSeed.replay(seed));
      for (TokenRecord token : tokens.get(i)) {
        assertEquals(written.find(token.hash()), read.find(token.hash()), TestSeed.replay(seed));
      }
      assertEquals(sorted(written.findSessions(expected.subject())),
          sorted(read.findSessions(expected.subject())), TestSeed.replay(seed));
    }
  }

  @Test
  void aBlockThatDoesNotHoldTogether_isRefusedTyped() {
    LiveIndex written = LiveIndex.create();
    Random random = new Random(1);
    SessionId id = SessionId.of(random.nextLong(), random.nextLong());
    written.create(SessionRecord.of(new Session(id, "user@example.com", "phone", T0, T0,
        T0.plusSeconds(60)), null, null), List.of(TokenRecord.of(hashOfBytes(random), id)));
    List<byte[]> blocks = FormatFourBlocks.of(written, record -> {
      throw new AssertionError("only plain sessions were stored");
    });
    byte[] block = blocks.get(0);

    // Loaded twice: the same session and token again.
    LiveIndex twice = LiveIndex.create();
    twice.load(ByteBuffer.wrap(block));
    assertThrows(IllegalArgumentException.class, () -> twice.load(ByteBuffer.wrap(block)));
    assertEquals(1, twice.sessionCount());

    // Cut short, or longer than its count says.
    for (int cut = 0; cut < block.length; cut += 7) {
      byte[] shorter = java.util.Arrays.copyOf(block, cut);
      assertThrows(IllegalArgumentException.class,
          () -> LiveIndex.create().load(ByteBuffer.wrap(shorter)));
    }
    byte[] longer = java.util.Arrays.copyOf(block, block.length + 1);
    assertThrows(IllegalArgumentException.class,
        () -> LiveIndex.create().load(ByteBuffer.wrap(longer)));

    // A subject with a control character, an expiry before creation, a text index out of range.
    byte[] control = block.clone();
    int subjectAt = indexOf(control, "user@example.com");
    control[subjectAt] = '\n';
    assertThrows(IllegalArgumentException.class,
        () -> LiveIndex.create().load(ByteBuffer.wrap(control)));
    byte[] instants = block.clone();
    int sessionAt = block.length - (9 * Long.BYTES + 2 * Short.BYTES);
    ByteBuffer.wrap(instants).putLong(sessionAt + 8 * Long.BYTES,
        ByteBuffer.wrap(block).getLong(sessionAt + 6 * Long.BYTES));
    assertThrows(IllegalArgumentException.class,
        () -> LiveIndex.create().load(ByteBuffer.wrap(instants)));
    byte[] text = block.clone();
    ByteBuffer.wrap(text).putShort(block.length - 4, (short) 9);
    assertThrows(IllegalArgumentException.class,
        () -> LiveIndex.create().load(ByteBuffer.wrap(text)));
  }

  private static int indexOf(byte[] block, String text) {
    byte[] wanted = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + wanted.length <= block.length; i++) {
      if (java.util.Arrays.equals(block, i, i + wanted.length, wanted, 0, wanted.length)) {
        return i;
      }
    }
    throw new AssertionError(text + " not in the block");
  }

  private static List<SessionRecord> sorted(List<SessionRecord> records) {
    List<SessionRecord> copy = new ArrayList<>(records);
    copy.sort(Comparator.comparing(record -> record.id().value()));
    return copy;
  }
}
