package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.SessionId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A frame's session id is decoded in place ({@link Frames#getId}), and must be accepted or
 * refused exactly as {@link SessionId#parse} accepts or refuses its text: each id has one
 * spelling, so a log cannot name one session two ways.
 */
class FrameSessionIdTest {

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  @Test
  void everyIdWritten_readsBack() {
    SplittableRandom random = new SplittableRandom(1);
    for (int n = 0; n < 20_000; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      ByteBuffer frame = ByteBuffer.allocate(Frames.SESSION_ID);
      Frames.putId(frame, id);
      assertEquals(id, Frames.getId(frame.flip()));
    }
    for (long edge : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1}) {
      SessionId id = SessionId.of(edge, ~edge);
      ByteBuffer frame = ByteBuffer.allocate(Frames.SESSION_ID);
      Frames.putId(frame, id);
      assertEquals(id, Frames.getId(frame.flip()));
    }
  }

  /** Every byte value at every position of a valid id, and random texts near valid ones. */
  @Test
  void anyTwentyTwoBytes_areAcceptedOrRefused_asParseDoes() {
    byte[] valid = "AbCdEfGhIjKlMnOpQrStUw".getBytes(StandardCharsets.US_ASCII);
    for (int at = 0; at < valid.length; at++) {
      for (int value = 0; value < 256; value++) {
        byte[] text = valid.clone();
        text[at] = (byte) value;
        assertSame(text);
      }
    }
    SplittableRandom random = new SplittableRandom(2);
    for (int n = 0; n < 200_000; n++) {
      byte[] text = new byte[Frames.SESSION_ID];
      for (int i = 0; i < text.length; i++) {
        text[i] = random.nextInt(40) == 0 ? (byte) random.nextInt(256)
            : (byte) ALPHABET.charAt(random.nextInt(64));
      }
      assertSame(text);
    }
  }

  private static void assertSame(byte[] text) {
    String parsed;
    try {
      parsed = SessionId.parse(new String(text, StandardCharsets.US_ASCII)).toString();
    } catch (IllegalArgumentException e) {
      parsed = "refused: " + e.getMessage();
    }
    String decoded;
    try {
      decoded = Frames.getId(ByteBuffer.wrap(text)).toString();
    } catch (IllegalArgumentException e) {
      decoded = "refused: " + e.getMessage();
    }
    assertEquals(parsed, decoded, () -> new String(text, StandardCharsets.ISO_8859_1));
  }
}
