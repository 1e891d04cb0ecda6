package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A label or binding with an unpaired surrogate: UTF-8 has no form for it, so the store's files
 * would keep another text ('?'), and the session would read back changed after a restart or the
 * next compaction (whose snapshot the store then serves). The store refuses it before anything
 * changes, with a clear message, and goes on.
 */
class UnspellableTextTest {

  @TempDir
  Path dir;

  @Test
  void aLabelOrBindingWithALoneSurrogate_isRefused_andNothingChanges() {
    SessionRecord label = session("phone \uD800", null);
    SessionRecord agent = session("phone", new ClientBinding(null, "agent\uDC00"));
    SessionRecord network = session(null, new ClientBinding("203.0.113.0/24\uD800", null));
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (SessionRecord refused : List.of(label, agent, network)) {
        TokenRecord token = TokenStoreContract.token(refused.id());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> store.create(refused, List.of(token)));
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
        assertEquals(Optional.empty(), store.findSession(refused.id()));
        assertEquals(Optional.empty(), store.find(token.hash()));
      }
      // A pair is UTF-8, and the store goes on: such a session survives compaction unchanged.
      SessionRecord paired = session("phone \uD83D\uDCF1", new ClientBinding(null, "ab\uD83D\uDE00"));
      store.create(paired, List.of(TokenStoreContract.token(paired.id())));
      store.compact();
      assertEquals(1, store.served());
      assertEquals(Optional.of(paired), store.findSession(paired.id()));
    }
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      assertEquals(1, reopened.findSessions("alice").size());
    }
  }

  private static SessionRecord session(String label, ClientBinding binding) {
    SessionId id = SessionId.of(TokenStoreContract.RANDOM.nextLong(),
        TokenStoreContract.RANDOM.nextLong());
    return SessionRecord.of(new Session(id, "alice",
        label, T0, T0, T0.plus(Duration.ofDays(365))), binding, null);
  }
}
