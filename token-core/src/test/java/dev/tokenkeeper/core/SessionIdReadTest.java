package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** {@link SessionId#read} reads an id's text from bytes as {@link SessionId#parse} reads it. */
class SessionIdReadTest {

  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void anIdsText_readsBack_andExactlyItsBytesAreRead() {
    for (int n = 0; n < 1_000; n++) {
      SessionId id = SessionId.random(RANDOM);
      ByteBuffer bytes = ByteBuffer.wrap((id.value() + "rest").getBytes(StandardCharsets.US_ASCII));
      assertEquals(id, SessionId.read(bytes));
      assertEquals(4, bytes.remaining());
    }
  }

  @Test
  void eachLastCharacter_isReadAsParseReadsIt() {
    String head = "AbCdEfGhIjKlMnOpQrStU";
    for (int value = 0; value < 256; value++) {
      byte[] text = (head + "A").getBytes(StandardCharsets.US_ASCII);
      text[21] = (byte) value;
      String parsed;
      try {
        parsed = SessionId.parse(new String(text, StandardCharsets.US_ASCII)).value();
      } catch (IllegalArgumentException e) {
        parsed = e.getMessage();
      }
      String read;
      try {
        read = SessionId.read(ByteBuffer.wrap(text)).value();
      } catch (IllegalArgumentException e) {
        read = e.getMessage();
      }
      assertEquals(parsed, read, "last byte " + value);
    }
  }

  @Test
  void bytesCutShort_areAnUnderflow_whateverTheyHold() {
    assertThrows(BufferUnderflowException.class,
        () -> SessionId.read(ByteBuffer.wrap("!!!!".getBytes(StandardCharsets.US_ASCII))));
  }
}
