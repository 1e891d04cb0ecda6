package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.RevocationCause;
import dev.tokenkeeper.core.SecurityEvent;
import dev.tokenkeeper.core.SessionId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The audit log's own promises: JSON lines, and a stuck log never holds a request up. */
class AuditLogTest {

  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  private static final SessionId SESSION = SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA");

  private static SecurityEvent revoked(int i) {
    return new SecurityEvent.Revoked(AT.plusSeconds(i), "user" + i, SESSION,
        RevocationCause.USER);
  }

  /** Polls {@code condition} for up to 10 seconds. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void stuckSink_neverBlocksTheCaller_dropsPastCapacity_andSaysHowMany() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> lines = new CopyOnWriteArrayList<>();
    AuditLog.Sink stuck = (warning, line) -> {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      lines.add(line);
    };
    int capacity = 50;
    try (AuditLog audit = new AuditLog(stuck, capacity)) {
      audit.onEvent(revoked(0));
      assertTrue(entered.await(10, TimeUnit.SECONDS), "the writer never took the first event");
      // The writer is stuck in the sink. A thousand more calls must all return on their own.
      CountDownLatch offered = new CountDownLatch(1);
      Thread requests = new Thread(() -> {
        for (int i = 1; i <= 1_000; i++) {
          audit.onEvent(revoked(i));
        }
        offered.countDown();
      });
      requests.start();
      assertTrue(offered.await(10, TimeUnit.SECONDS), "a stuck audit log blocked its callers");
      assertEquals(1_000 - capacity, audit.dropped());

      release.countDown();
      await(() -> lines.size() == capacity + 2, "the kept lines and the drop line");
      List<String> kept = new ArrayList<>(lines);
      assertTrue(kept.remove(
          "{\"event\":\"audit_dropped\",\"count\":" + (1_000 - capacity) + "}"), lines::toString);
      for (int i = 0; i <= capacity; i++) {
        assertTrue(kept.get(i).contains("\"subject\":\"user" + i + "\""), kept.get(i));
      }
    }
  }

  @Test
  void failingSink_losesOnlyThatLine() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    AuditLog.Sink flaky = (warning, line) -> {
      if (line.contains("user1\"")) {
        throw new IllegalStateException("disk full (test)");
      }
      lines.add(line);
    };
    try (AuditLog audit = new AuditLog(flaky, 10)) {
      for (int i = 0; i < 3; i++) {
        audit.onEvent(revoked(i));
      }
      await(() -> lines.size() == 2, "the two lines the sink took");
    }
    assertTrue(lines.get(1).contains("user2"), lines::toString);
  }

  @Test
  void close_writesWhatIsQueued() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    AuditLog audit = new AuditLog((warning, line) -> lines.add(line), 1_000);
    for (int i = 0; i < 500; i++) {
      audit.onEvent(revoked(i));
    }
    audit.close();
    assertEquals(500, lines.size());
    audit.onEvent(revoked(501));
    assertEquals(1, audit.dropped(), "an event after close is dropped, not queued forever");
  }

  /**
   * JSON escapes only the controls below U+0020 and the quote; a line must also survive what reads
   * it. U+0085, U+2028 and U+2029 end a line for Unicode-aware readers, log appenders rewrite DEL
   * and C1 controls, and an unpaired surrogate is written to a UTF-8 log as '?': another subject.
   */
  @Test
  void line_ofAHostileSubject_isOnePrintableAsciiLine_thatReadsBackAsThatSubject()
      throws Exception {
    List<String> subjects = List.of("a\"b\\c\",\"event\":\"forged", "x\ny\rz", "tab\tesc\u001b",
        "del\u007f", "nel\u0085", "ls\u2028ps\u2029", "lone\ud800", "\udc00low first",
        "caf\u00e9 \ud83d\ude00");
    for (String subject : subjects) {
      for (SecurityEvent event : List.of(
          new SecurityEvent.RevokedAll(AT, subject, 1, RevocationCause.ADMIN),
          new SecurityEvent.ReuseDetected(AT, subject, SESSION, "89abcdef"))) {
        String line = AuditLog.line(event);
        for (int i = 0; i < line.length(); i++) {
          char c = line.charAt(i);
          assertTrue(c >= 0x20 && c < 0x7f,
              "character " + (int) c + " at " + i + " of the line for " + subject.codePoints()
                  .mapToObj(Integer::toHexString).toList());
        }
        JsonNode json = Json.MAPPER.readTree(line.getBytes(StandardCharsets.UTF_8));
        assertEquals(subject, json.get("subject").asText(), "as written to a UTF-8 log");
        assertEquals(event instanceof SecurityEvent.ReuseDetected ? "reuse_detected"
            : "revoked_all", json.get("event").asText());
      }
    }
  }

  @Test
  void line_isOneJsonObject_perEventKind_withWarningsForTheftAndOutages() throws Exception {
    List<SecurityEvent> events = List.of(
        new SecurityEvent.Issued(AT, "alice", SESSION, "0123abcd", "89abcdef"),
        new SecurityEvent.Refreshed(AT, "alice", SESSION, "89abcdef", "fedcba98", true),
        new SecurityEvent.Refused(AT, SecurityEvent.Operation.AUTHENTICATE,
            AuthResult.Reason.MALFORMED, null, null, null),
        new SecurityEvent.ClientMismatch(AT, SecurityEvent.Operation.REFRESH, "alice", SESSION,
            "89abcdef"),
        new SecurityEvent.ReuseDetected(AT, "alice\"\n{", SESSION, "89abcdef"),
        new SecurityEvent.Revoked(AT, "alice", SESSION, RevocationCause.CAP),
        new SecurityEvent.RevokedAll(AT, "alice", 3, RevocationCause.ADMIN),
        new SecurityEvent.StoreUnavailable(AT, SecurityEvent.Operation.ISSUE));
    List<String> names = new ArrayList<>();
    for (SecurityEvent event : events) {
      String line = AuditLog.line(event);
      assertFalse(line.contains("\n"), line);
      JsonNode json = Json.MAPPER.readTree(line);
      assertEquals(AT.toString(), json.get("at").asText());
      names.add(json.get("event").asText());
    }
    assertEquals(List.of("issued", "refreshed", "refused", "client_mismatch", "reuse_detected",
        "revoked", "revoked_all", "store_unavailable"), names);
    JsonNode reuse = Json.MAPPER.readTree(AuditLog.line(events.get(4)));
    assertEquals("alice\"\n{", reuse.get("subject").asText(), "escaped, not split");
    assertEquals("89abcdef", reuse.get("token").asText());
    JsonNode all = Json.MAPPER.readTree(AuditLog.line(events.get(6)));
    assertEquals(3, all.get("sessions").asInt());
    assertEquals("admin", all.get("cause").asText());
  }
}
