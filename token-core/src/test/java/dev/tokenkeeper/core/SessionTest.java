package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
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
