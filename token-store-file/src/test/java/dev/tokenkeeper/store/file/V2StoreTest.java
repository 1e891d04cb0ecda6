package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a store written by the release before the group commit (format 2), as it left it on
 * disk: the fixture in {@code src/test/resources/v2-store} was made by that release's code
 * (commit f571ac4, running {@code v2-store-generator.java.txt}): a snapshot and a log holding a
 * legacy import, issued, used, revoked, revoked-everywhere, paired and refreshed sessions. The
 * plaintexts it printed are in {@code v2-store.properties}; they open nothing outside this test.
 */
class V2StoreTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final List<String> FILES = List.of("snapshot-0000000002", "log-0000000002");

  @TempDir
  Path tmp;

  private final Properties tokens = new Properties();
  private MutableClock clock;
  private Path dir;

  @BeforeEach
  void copyFixture() throws IOException {
    dir = tmp.resolve("store");
    tokens.putAll(StoreFixture.copy("v2-store", FILES, dir));
    clock = new MutableClock(Instant.parse(tokens.getProperty("now")).plusSeconds(60));
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).clock(clock).build();
  }

  private TokenService service(FileTokenStore store) {
    return TokenService.builder().store(store).clock(clock).acceptLegacyTokens()
        .absoluteTtl(Duration.ofDays(7)).idleTimeout(Duration.ofDays(2)).build();
  }

  private String token(String name) {
    return tokens.getProperty(name);
  }

  @Test
  void open_format2_authenticatesWhatWasLive_refusesWhatWasRevoked() {
    try (FileTokenStore store = open()) {
      assertEquals(Instant.parse(tokens.getProperty("single.live.lastUsed")),
          store.find(TokenHash.sha256(token("single.live"))).orElseThrow()
              .session().session().lastUsedAt(), "the last use was kept");
      TokenService service = service(store);
      assertTrue(service.authenticate(token("single.live")).isAuthenticated());
      assertTrue(service.authenticate(token("legacy")).isAuthenticated(), "the legacy import");
      assertEquals(AuthResult.Reason.EXPIRED, rejected(service.authenticate(
          token("rotated.access"))), "an access token keeps its own short expiry");
      assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(
          token("single.revoked"))));
      for (String revoked : List.of("revokedAll.1", "revokedAll.2")) {
        assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(token(revoked))));
      }
    }
  }

  @Test
  void open_format2_refreshesTheCurrentToken_andTheRotatedOneIsReuse() {
    try (FileTokenStore store = open()) {
      TokenService service = service(store);
      assertTrue(service.refresh(token("pair.refresh"), CLIENT).isRefreshed());
      assertEquals(AuthResult.Reason.REUSED,
          assertInstanceOf(RefreshResult.Rejected.class,
              service.refresh(token("rotated.oldRefresh"), CLIENT)).reason());
    }
  }

  @Test
  void open_format2_twice_keepsEverything() {
    open().close();
    try (FileTokenStore store = open()) {
      TokenService service = service(store);
      assertTrue(service.authenticate(token("single.live")).isAuthenticated());
      assertTrue(service.authenticate(token("legacy")).isAuthenticated());
      assertFalse(service.authenticate(token("single.revoked")).isAuthenticated());
      assertEquals(4, store.liveCount(), "alice's laptop, carol's and bob's pairs, the import");
    }
  }

  private static AuthResult.Reason rejected(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }
}
