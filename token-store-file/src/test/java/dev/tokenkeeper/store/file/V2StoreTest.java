package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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

  private StoreFixture fixture;

  @BeforeEach
  void copyFixture() throws IOException {
    fixture = StoreFixture.of("v2-store", FILES, tmp.resolve("store"));
  }


  @Test
  void open_format2_authenticatesWhatWasLive_refusesWhatWasRevoked() {
    try (FileTokenStore store = fixture.open()) {
      assertEquals(Instant.parse(fixture.token("single.live.lastUsed")),
          store.find(TokenHash.sha256(fixture.token("single.live"))).orElseThrow()
              .session().session().lastUsedAt(), "the last use was kept");
      TokenService service = fixture.service(store);
      assertTrue(service.authenticate(fixture.token("single.live")).isAuthenticated());
      assertTrue(service.authenticate(fixture.token("legacy")).isAuthenticated(), "the legacy import");
      assertEquals(AuthResult.Reason.EXPIRED, rejected(service.authenticate(
          fixture.token("rotated.access"))), "an access token keeps its own short expiry");
      assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(
          fixture.token("single.revoked"))));
      for (String revoked : List.of("revokedAll.1", "revokedAll.2")) {
        assertEquals(AuthResult.Reason.REVOKED, rejected(service.authenticate(fixture.token(revoked))));
      }
    }
  }

  @Test
  void open_format2_refreshesTheCurrentToken_andTheRotatedOneIsReuse() {
    try (FileTokenStore store = fixture.open()) {
      TokenService service = fixture.service(store);
      assertTrue(service.refresh(fixture.token("pair.refresh"), CLIENT).isRefreshed());
      assertEquals(AuthResult.Reason.REUSED,
          assertInstanceOf(RefreshResult.Rejected.class,
              service.refresh(fixture.token("rotated.oldRefresh"), CLIENT)).reason());
    }
  }

  @Test
  void open_format2_twice_keepsEverything() {
    fixture.open().close();
    try (FileTokenStore store = fixture.open()) {
      TokenService service = fixture.service(store);
      assertTrue(service.authenticate(fixture.token("single.live")).isAuthenticated());
      assertTrue(service.authenticate(fixture.token("legacy")).isAuthenticated());
      assertFalse(service.authenticate(fixture.token("single.revoked")).isAuthenticated());
      assertEquals(4, store.liveCount(), "alice's laptop, carol's and bob's pairs, the import");
    }
  }

  private static AuthResult.Reason rejected(AuthResult result) {
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }
}
