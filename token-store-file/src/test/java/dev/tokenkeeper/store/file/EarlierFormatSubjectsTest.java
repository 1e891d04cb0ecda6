package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stores written by earlier releases, opened, compacted and reopened: every token the fixture
 * printed that is still held is found with the session its id names, under the subject whose
 * sessions list it, at each open.
 */
class EarlierFormatSubjectsTest {

  private static final List<String> FILES = List.of("snapshot-0000000002", "log-0000000002");

  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"v3-store", "v4-store", "v5-store"})
  void everyToken_isFoundUnderTheSubjectThatListsIt_atEachOpen(String name) throws IOException {
    Properties tokens = StoreFixture.copy(name, FILES, tmp.resolve("store"));
    StoreFixture fixture = StoreFixture.of(name, FILES, tmp.resolve("store2"));
    int found = 0;
    for (int open = 0; open < 3; open++) {
      try (FileTokenStore store = fixture.open()) {
        found = 0;
        for (String key : tokens.stringPropertyNames()) {
          String token = tokens.getProperty(key);
          if (!token.startsWith("tk") && !token.startsWith("legacy-")) {
            continue;
          }
          Optional<TokenEntry> entry = store.find(TokenHash.sha256(token));
          if (entry.isEmpty()) {
            continue;
          }
          found++;
          SessionRecord session = entry.get().session();
          String why = name + " " + key + ", open " + open;
          assertEquals(session.subject(),
              store.findSession(session.id()).orElseThrow().subject(), why);
          assertTrue(store.findSessions(session.subject()).stream()
              .anyMatch(s -> s.id().equals(session.id())), why + ": not listed under "
              + session.subject());
        }
        store.compact();
      }
    }
    assertTrue(found >= 10, name + ": only " + found + " tokens found");
  }
}
