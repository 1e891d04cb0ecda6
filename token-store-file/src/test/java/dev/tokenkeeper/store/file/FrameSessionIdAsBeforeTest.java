package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Frames#getId} against the decoder it replaced (a String and {@code SessionId.parse}):
 * for any bytes, in any kind of buffer, and inside whole records through {@link Frames#decode},
 * the same id or the same refusal (type and message), and 22 bytes read on success.
 */
class FrameSessionIdAsBeforeTest {

  static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  /** The decoder as it was. */
  static SessionId oldGetId(ByteBuffer body) {
    byte[] id = new byte[Frames.SESSION_ID];
    body.get(id);
    return SessionId.parse(new String(id, StandardCharsets.US_ASCII));
  }

  static String outcome(java.util.function.Supplier<Object> f) {
    try {
      return "ok " + f.get();
    } catch (IllegalArgumentException e) {
      return "IAE " + e.getMessage();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  /** Every kind of buffer view, at every offset, with random near-valid texts. */
  @Test
  void everyBufferKind_sameAsOld_andConsumes22() {
    SplittableRandom random = new SplittableRandom(7);
    for (int n = 0; n < 12_000; n++) {
      byte[] text = new byte[22];
      int mode = n % 4;
      for (int i = 0; i < 22; i++) {
        text[i] = mode == 0 ? (byte) random.nextInt(256)
            : random.nextInt(30) == 0 ? (byte) random.nextInt(256)
            : (byte) ALPHABET.charAt(random.nextInt(64));
      }
      if (mode == 3) {
        text[21] = (byte) "AQgw".charAt(random.nextInt(4));
      }
      int pre = random.nextInt(9);
      int post = random.nextInt(9);
      byte[] all = new byte[pre + 22 + post];
      System.arraycopy(text, 0, all, pre, 22);
      for (int kind = 0; kind < 6; kind++) {
        ByteBuffer b0 = view(all, kind);
        b0.position(pre);
        ByteBuffer c0 = view(all, kind);
        c0.position(pre);
        final ByteBuffer b = kind == 5 ? b0.slice() : b0;
        final ByteBuffer c = kind == 5 ? c0.slice() : c0;
        int start = b.position();
        String newOut = outcome(() -> Frames.getId(bufOf(b)));
        String oldOut = outcome(() -> oldGetId(bufOf(c)));
        assertEquals(oldOut, newOut, "kind " + kind + " text "
            + new String(text, StandardCharsets.ISO_8859_1));
        if (newOut.startsWith("ok")) {
          assertEquals(start + 22, b.position(), "consumed");
        }
      }
    }
  }

  private static ByteBuffer bufOf(ByteBuffer b) {
    return b;
  }

  private static ByteBuffer view(byte[] all, int kind) {
    switch (kind) {
      case 0: return ByteBuffer.wrap(all.clone());
      case 1: return ByteBuffer.wrap(all.clone()).order(ByteOrder.LITTLE_ENDIAN);
      case 2: return ByteBuffer.wrap(all.clone()).asReadOnlyBuffer();
      case 3: {
        ByteBuffer d = ByteBuffer.allocateDirect(all.length);
        d.put(all).clear();
        return d;
      }
      case 4: {
        ByteBuffer d = ByteBuffer.allocateDirect(all.length).order(ByteOrder.LITTLE_ENDIAN);
        d.put(all).clear();
        return d.asReadOnlyBuffer();
      }
      default: return ByteBuffer.wrap(all.clone());
    }
  }

  /** Fewer than 22 bytes left: old threw BufferUnderflowException before reading anything. */
  @Test
  void shortBuffers_sameExceptionTypeAsOld() {
    byte[] valid = "AbCdEfGhIjKlMnOpQrStUw".getBytes(StandardCharsets.US_ASCII);
    List<String> diffs = new ArrayList<>();
    for (int len = 0; len < 22; len++) {
      for (int bad = -1; bad < len; bad++) {
        byte[] t = java.util.Arrays.copyOf(valid, len);
        if (bad >= 0) {
          t[bad] = '!';
        }
        String o = outcome(() -> oldGetId(ByteBuffer.wrap(t)));
        String nw = outcome(() -> Frames.getId(ByteBuffer.wrap(t)));
        if (!o.equals(nw)) {
          diffs.add(len + "/" + bad + ": old " + o + " new " + nw);
        }
      }
    }
    assertTrue(diffs.isEmpty(), diffs.size() + " differ, e.g. " + (diffs.isEmpty() ? "" : diffs.get(0)));
  }

  // ---- whole frames ----

  static TokenHash hash(int n) {
    return TokenHash.sha256Words(n, ~n, n * 31L, 7);
  }

  static List<LogEntry> entries() {
    SessionId a = SessionId.of(0x0123456789ABCDEFL, 0xFEDCBA9876543210L);
    SessionId b = SessionId.of(-1, 0);
    Session s = new Session(a, "user", "label", T0, T0, T0.plusSeconds(3600));
    List<LogEntry> out = new ArrayList<>();
    out.add(new LogEntry.Create(SessionRecord.of(s, null, null),
        List.of(TokenRecord.of(hash(1), a), TokenRecord.of(hash(2), a))));
    out.add(new LogEntry.RevokeSession(b, T0));
    out.add(new LogEntry.Touch(List.of(new LogEntry.Use(a, T0, T0.plusSeconds(5)),
        new LogEntry.Use(b, T0.plusSeconds(1), T0.plusSeconds(9)))));
    out.add(new LogEntry.Rotate(new Rotation(a, hash(3), hash(3), T0, null,
        TokenRecord.of(hash(4), a), TokenRecord.of(hash(5), a), T0.plusSeconds(99))));
    out.add(new LogEntry.TokenState(TokenRecord.of(hash(6), b)));
    return out;
  }

  static byte[] body(LogEntry e) {
    ByteBuffer f = Frames.encode(e);
    byte[] all = new byte[f.remaining()];
    f.get(all);
    return java.util.Arrays.copyOfRange(all, Frames.HEADER, all.length);
  }

  static List<Integer> idOffsets(byte[] body, List<SessionId> ids) {
    List<Integer> at = new ArrayList<>();
    for (SessionId id : ids) {
      byte[] t = id.value().getBytes(StandardCharsets.US_ASCII);
      for (int p = 0; p + 22 <= body.length; p++) {
        if (java.util.Arrays.equals(body, p, p + 22, t, 0, 22)) {
          at.add(p);
        }
      }
    }
    return at;
  }

  @Test
  void wholeFrames_mutatedIds_acceptedExactlyWhenParseAccepts() {
    SessionId a = SessionId.of(0x0123456789ABCDEFL, 0xFEDCBA9876543210L);
    SessionId b = SessionId.of(-1, 0);
    SplittableRandom random = new SplittableRandom(11);
    for (LogEntry e : entries()) {
      byte[] body = body(e);
      List<Integer> offs = idOffsets(body, List.of(a, b));
      assertTrue(!offs.isEmpty(), e.toString());
      for (int off : offs) {
        for (int at = 0; at < 22; at++) {
          for (int v = 0; v < 256; v++) {
            check(body, off, at, (byte) v, e);
          }
        }
        for (int n = 0; n < 600; n++) {
          byte[] m = body.clone();
          for (int k = 0; k < 3; k++) {
            m[off + random.nextInt(22)] = random.nextBoolean()
                ? (byte) ALPHABET.charAt(random.nextInt(64)) : (byte) random.nextInt(256);
          }
          checkWhole(m, off, e);
        }
      }
      // truncations anywhere
      for (int len = 0; len < body.length; len++) {
        byte[] t = java.util.Arrays.copyOf(body, len);
        String got = outcome(() -> Frames.decode(ByteBuffer.wrap(t), Frames.VERSION, null));
        assertTrue(got.startsWith("IAE"), e.getClass().getSimpleName() + " cut at " + len + ": " + got);
      }
    }
  }

  private static void check(byte[] body, int off, int at, byte v, LogEntry e) {
    byte[] m = body.clone();
    m[off + at] = v;
    checkWhole(m, off, e);
  }

  private static void checkWhole(byte[] m, int off, LogEntry e) {
    String text = new String(m, off, 22, StandardCharsets.US_ASCII);
    String expected;
    try {
      expected = "ok " + SessionId.parse(text);
    } catch (IllegalArgumentException x) {
      expected = "IAE";
    }
    LogEntry got;
    try {
      got = Frames.decode(ByteBuffer.wrap(m), Frames.VERSION, null);
    } catch (IllegalArgumentException x) {
      if (!expected.equals("IAE")) {
        // Could be refused for another reason (e.g. a rotation whose tokens name this id)
        fail("refused " + text + " in " + e.getClass().getSimpleName() + ": " + x.getMessage());
      }
      return;
    } catch (RuntimeException x) {
      fail("threw " + x + " for " + text);
      return;
    }
    assertTrue(expected.startsWith("ok"), "accepted " + text + " in " + e);
    assertArrayEquals(m, body(got), "re-encodes identically: " + text);
  }

  /** A record cut inside its id, with a bad character before the cut: the reason given changes. */
  @Test
  void cutRecord_refusedForTheSameReasonAsBefore() {
    byte[] body = body(new LogEntry.RevokeSession(SessionId.of(-1, 0), T0));
    byte[] cut = java.util.Arrays.copyOf(body, 1 + 10);
    cut[3] = '!';
    String got = outcome(() -> Frames.decode(ByteBuffer.wrap(cut), Frames.VERSION, null));
    assertEquals("IAE entry is shorter than its type requires", got);
  }
}
