package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Subjects, labels and bindings beyond ASCII (several UTF-8 bytes a character, surrogate pairs)
 * read back exactly from memory, from the snapshot a compaction then serves, and after a
 * restart. A lone surrogate, which UTF-8 cannot spell, never gets this far: {@link Session} and
 * {@link ClientBinding} refuse it.
 */
class NonAsciiTextTest {

  @TempDir
  Path dir;

  @Test
  void textsBeyondAscii_readBackExactly_afterACompactionIsServedAndAfterARestart() {
    SessionRecord plain = session("élodie@例え.jp", "Safari 🦊 on iPhone", null);
    SessionRecord bound = session("élodie@例え.jp", "téléphone \uD83D\uDCF1",
        new ClientBinding("2001:db8::/64", "ab\uD83D\uDE00"));
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (SessionRecord session : List.of(plain, bound)) {
        store.create(session, List.of(TokenStoreContract.token(session.id())));
        assertEquals(Optional.of(session), store.findSession(session.id()));
      }
      store.compact();
      assertEquals(1, store.served());
      assertEquals(Optional.of(plain), store.findSession(plain.id()));
      assertEquals(Optional.of(bound), store.findSession(bound.id()));
    }
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      assertEquals(Optional.of(plain), reopened.findSession(plain.id()));
      assertEquals(Optional.of(bound), reopened.findSession(bound.id()));
    }
  }

  private static SessionRecord session(String subject, String label, ClientBinding binding) {
    SessionId id = SessionId.of(TokenStoreContract.RANDOM.nextLong(),
        TokenStoreContract.RANDOM.nextLong());
    return SessionRecord.of(new Session(id, subject, label, T0, T0,
        T0.plus(Duration.ofDays(365))), binding, null);
  }
}
