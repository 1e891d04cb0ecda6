package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final SessionId ID = SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA");

  private static Session session(String subject, String label) {
    return new Session(ID, subject, label, T0, T0, T0.plusSeconds(60));
  }

  @Test
  void isExpiredAt_isTrueFromTheExactExpiryInstant() {
    Session session = session("alice", null);
    assertFalse(session.isExpiredAt(T0.plusSeconds(60).minusNanos(1)));
    assertTrue(session.isExpiredAt(T0.plusSeconds(60)));
  }

  @Test
  void touchedAt_movesForwardOnly() {
    Session session = session("alice", null);
    Session used = session.touchedAt(T0.plusSeconds(10), T0.plusSeconds(70));
    assertEquals(T0.plusSeconds(10), used.lastUsedAt());
    assertEquals(T0.plusSeconds(70), used.expiresAt());
    Session late = used.touchedAt(T0.plusSeconds(5), T0.plusSeconds(65));
    assertSame(used, late);
  }

  @Test
  void constructor_badSubject_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> session("", null));
    assertThrows(IllegalArgumentException.class, () -> session("   ", null));
    assertThrows(IllegalArgumentException.class, () -> session("a\nb", null));
    assertThrows(IllegalArgumentException.class, () -> session("a".repeat(257), null));
    assertThrows(NullPointerException.class, () -> session(null, null));
  }

  @Test
  void constructor_badLabelOrTimes_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> session("alice", ""));
    assertThrows(IllegalArgumentException.class, () -> session("alice", "x\u0007"));
    assertThrows(IllegalArgumentException.class,
        () -> new Session(ID, "alice", null, T0, T0.minusSeconds(1), T0.plusSeconds(1)));
    assertThrows(IllegalArgumentException.class,
        () -> new Session(ID, "alice", null, T0, T0, T0));
  }

  /**
   * A label that passed is not checked again (a store hands the same label to many sessions), but
   * only that very object: another of its length, an equal copy, and a refused label presented a
   * second time are each checked on their own.
   */
  @Test
  void constructor_labelCheckedBefore_admitsOnlyThatObject() {
    String agent = new String("Mozilla/5.0");
    String bad = new String("Mozilla\u00075.0");
    assertEquals(agent.length(), bad.length());
    assertSame(agent, session("alice", agent).label());
    assertSame(agent, session("bob", agent).label());
    assertThrows(IllegalArgumentException.class, () -> session("alice", bad));
    assertThrows(IllegalArgumentException.class, () -> session("alice", bad));
    assertEquals(agent, session("carol", new String(agent)).label());
    assertThrows(IllegalArgumentException.class, () -> session("alice", bad));
    // Lengths 6 and 262 share an entry; 262 is over the limit whatever the entry holds.
    String six = new String("device");
    assertSame(six, session("alice", six).label());
    assertThrows(IllegalArgumentException.class, () -> session("alice", "d".repeat(262)));
    assertSame(six, session("alice", six).label());
  }

  /**
   * Threads racing good and bad labels of one length through the constructor: every bad one is
   * refused and every good one kept, whichever thread's label the check last remembered.
   */
  @Test
  void constructor_labelsRacing_eachIsCheckedAsItself() throws Exception {
    String good = new String("device-00");
    List<Integer> refusedBad = Concurrently.run(4, thread -> {
      int refused = 0;
      for (int i = 0; i < 20_000; i++) {
        String bad = "device\u0000" + (i % 10) + thread;
        try {
          session("alice", bad);
        } catch (IllegalArgumentException e) {
          refused++;
        }
        String mine = (i & 1) == 0 ? good : "device-" + thread + (i % 10);
        assertSame(mine, session("alice", mine).label());
      }
      return refused;
    });
    assertEquals(List.of(20_000, 20_000, 20_000, 20_000), refusedBad);
  }

  /**
   * Every text of up to four characters from an alphabet of each kind the rules tell apart
   * (printable ASCII, space, tab, newline, DEL, a C1 control, a letter beyond ASCII, a wide
   * space, lone and paired surrogates) is accepted or refused, as a subject and as a label,
   * exactly as the rules read one character at a time decide: the printable run's fast loop
   * changes no answer.
   */
  @Test
  void textRules_decideAsTheRulesReadOneCharacterAtATime() {
    String[] alphabet = {"a", " ", "\t", "\n", "\u007f", "\u0085", "\u00e9", "\u2003", "\ud83d",
        "\ude00", "\ud83d\ude00", "~"};
    int[] digits = new int[5];
    for (int length = 1; length <= 4; length++) {
      java.util.Arrays.fill(digits, 0);
      do {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
          text.append(alphabet[digits[i]]);
        }
        String value = text.toString();
        assertDecidesAsTheRules(value, "");
      } while (next(digits, length, alphabet.length));
    }
  }

  /**
   * Seeded texts of 1 to 257 characters, a printable run (of spaces alone, mostly spaces or any)
   * and then up to three characters of each kind, are refused with the same message, or accepted, as the rules
   * read one character at a time decide: the run's end may lie anywhere, also past the limit.
   */
  @Test
  void longTextRules_decideAsTheRulesReadOneCharacterAtATime() {
    long seed = TestSeed.of("SessionTest.longTexts");
    java.util.Random random = new java.util.Random(seed);
    String[] tails = {"a", " ", "\t", "\n", "\u007f", "\u0085", "\u00a0", "\u2028", "\u3000",
        "\u00e9", "\ud83d", "\ude00", "\ud83d\ude00"};
    for (int n = 0; n < 20_000; n++) {
      StringBuilder text = new StringBuilder();
      int run = random.nextInt(Session.MAX_TEXT_LENGTH + 2);
      // One in three runs is spaces alone, one in three mostly spaces.
      int spaces = random.nextInt(3);
      for (int i = 0; i < run; i++) {
        text.append(spaces == 0 || (spaces == 1 && random.nextInt(8) > 0) ? ' '
            : (char) (' ' + random.nextInt(95)));
      }
      for (int i = random.nextInt(4); i > 0; i--) {
        text.append(tails[random.nextInt(tails.length)]);
      }
      if (text.isEmpty() || text.length() > Session.MAX_TEXT_LENGTH + 1) {
        continue;
      }
      assertDecidesAsTheRules(text.toString(), ", " + TestSeed.replay(seed));
    }
  }

  private static void assertDecidesAsTheRules(String value, String replay) {
    String shown = value.chars().mapToObj(Integer::toHexString).toList() + replay;
    assertEquals(reference("subject", value, true), refusal(() -> session(value, null)),
        "subject " + shown);
    assertEquals(reference("label", value, false), refusal(() -> session("alice", value)),
        "label " + shown);
  }

  private static boolean next(int[] digits, int length, int base) {
    for (int i = 0; i < length; i++) {
      if (++digits[i] < base) {
        return true;
      }
      digits[i] = 0;
    }
    return false;
  }

  /** The message {@code make} is refused with, or null if it is accepted. */
  private static String refusal(Runnable make) {
    try {
      make.run();
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** The text rules, one character at a time: the refusal's message, or null to accept. */
  private static String reference(String name, String value, boolean subject) {
    if (value.isEmpty() || value.length() > Session.MAX_TEXT_LENGTH) {
      return name + " must be 1 to 256 characters: " + value.length();
    }
    boolean blank = true;
    boolean unpaired = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        return name + " must not contain control characters";
      } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        blank = false;
        i++;
      } else if (Character.isSurrogate(c)) {
        unpaired = true;
        blank = false;
      } else if (!Character.isWhitespace(c)) {
        blank = false;
      }
    }
    return unpaired ? name + " must not contain unpaired surrogates"
        : subject && blank ? name + " must not be blank" : null;
  }

  @Test
  void sessionId_parse_refusesWrongShape() {
    assertThrows(IllegalArgumentException.class, () -> SessionId.parse("short"));
    assertThrows(IllegalArgumentException.class, () -> SessionId.parse("AAAAAAAAAAAAAAAAAAAAA/"));
    // Decodes to the same bytes as ...AA but is not their canonical spelling.
    assertThrows(IllegalArgumentException.class, () -> SessionId.parse("AAAAAAAAAAAAAAAAAAAAAB"));
    assertEquals(SessionId.parse("AAAAAAAAAAAAAAAAAAAAAw"), SessionId.parse("AAAAAAAAAAAAAAAAAAAAAw"));
    assertThrows(NullPointerException.class, () -> SessionId.parse(null));
    assertFalse(SessionId.isWellFormed(null));
    assertEquals("AAAAAAAAAAAAAAAAAAAAAA", ID.toString());
  }
}
