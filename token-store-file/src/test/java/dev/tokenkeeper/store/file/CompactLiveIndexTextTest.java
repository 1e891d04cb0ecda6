package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The compact index keeps subjects and labels in a shared pool of UTF-8 texts; these are the
 * lookups by text where the pool's view of a text could differ from {@link String#equals}.
 */
class CompactLiveIndexTextTest {

  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  private long next = 1;

  /**
   * An image's texts are checked by {@link ImageCheck#checkText}, which decides printable ASCII
   * on its bytes: it must accept exactly what {@link Session} accepts, as subject and as label,
   * for every ASCII character alone, between letters, repeated to the length limit and past it.
   */
  @Test
  void imageTextCheck_agreesWithSession_onEveryAsciiText() {
    TextPool pool = new TextPool();
    for (char c = 0; c < 0x80; c++) {
      for (String text : List.of(String.valueOf(c), "a" + c + "b", " " + c,
          String.valueOf(c).repeat(Session.MAX_TEXT_LENGTH),
          String.valueOf(c).repeat(Session.MAX_TEXT_LENGTH + 1), "x".repeat(300))) {
        int id = pool.intern(text);
        for (boolean subject : new boolean[] {true, false}) {
          boolean session = accepts(() -> new Session(SessionId.of(1, 1), subject ? text : "s",
              subject ? null : text, NOW, NOW, NOW.plusSeconds(1)));
          boolean image = accepts(() -> ImageCheck.checkText(pool, id, subject));
          assertEquals(session, image, (subject ? "subject " : "label ") + (int) c + " in "
              + text.length() + " characters");
        }
      }
    }
  }

  private static boolean accepts(Runnable check) {
    try {
      check.run();
      return true;
    } catch (IllegalArgumentException refused) {
      return false;
    }
  }

  @Test
  void findSessions_ofATextHeldOnlyAsALabel_findsNothing() {
    CompactLiveIndex compact = new CompactLiveIndex();
    InMemoryTokenStore model = new InMemoryTokenStore();
    for (int i = 0; i < 100; i++) {
      SessionRecord session = plain("alice", "device " + i);
      List<TokenRecord> tokens = List.of(TokenRecord.of(newHash(), session.id()));
      compact.create(session, tokens);
      model.create(session, tokens);
    }
    for (int i = 0; i < 100; i++) {
      String label = "device " + i;
      assertEquals(model.findSessions(label), compact.findSessions(label), label);
      assertEquals(model.revokeAll(label, NOW), compact.revokeAll(label, NOW), label);
    }
  }

  @Test
  void findSessions_ofATextWithALoneSurrogate_findsNotTheSubjectItsUtf8Spells() {
    for (TokenStore store : List.of(new CompactLiveIndex(), new InMemoryTokenStore())) {
      SessionRecord session = plain("alice?", null);
      store.create(session, List.of(TokenRecord.of(newHash(), session.id())));
      String name = store.getClass().getSimpleName();
      assertEquals(List.of(), store.findSessions("alice\uD800"), name);
      assertEquals(0, store.revokeAll("alice\uDC00", NOW), name);
      assertEquals(Optional.of(session), store.findSession(session.id()), name);
    }
  }

  @Test
  void purgingEverything_dropsEveryText_andTheIndexStartsAgain() throws Exception {
    CompactLiveIndex compact = new CompactLiveIndex();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 3000; i++) {
        SessionRecord session = plain("user " + round + "/" + i, "label " + round + "/" + i);
        compact.create(session, List.of(TokenRecord.of(newHash(), session.id())));
      }
      assertEquals(3000, compact.purgeExpired(Instant.MAX));
      assertEquals(0, compact.sessionCount());
      assertEquals(0, compact.tokenCount());
      assertEquals(0, pool(compact).size(), "texts left in the pool");
    }
    SessionRecord again = plain("user 0/0", null);
    TokenHash hash = newHash();
    compact.create(again, List.of(TokenRecord.of(hash, again.id())));
    assertEquals(List.of(again), compact.findSessions("user 0/0"));
    assertTrue(compact.find(hash).isPresent());
  }

  private static TextPool pool(CompactLiveIndex compact) throws Exception {
    var field = CompactLiveIndex.class.getDeclaredField("texts");
    field.setAccessible(true);
    return (TextPool) field.get(compact);
  }

  private SessionRecord plain(String subject, String label) {
    SessionId id = SessionId.of(next * 0x9E37_79B9_7F4A_7C15L, ++next);
    return SessionRecord.of(
        new Session(id, subject, label, NOW, NOW, NOW.plusSeconds(3600)), null, null);
  }

  private TokenHash newHash() {
    long n = ++next;
    return TokenHash.sha256Words(n * 0xC2B2_AE3D_27D4_EB4FL, n, ~n, 7);
  }
}
