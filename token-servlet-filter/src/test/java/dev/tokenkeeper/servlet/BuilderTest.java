package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenService;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuilderTest {

  private final TokenService tokens =
      TokenService.builder().store(new InMemoryTokenStore()).build();

  @Test
  void builder_nullService_throws() {
    assertThrows(NullPointerException.class, () -> BearerTokenFilter.builder(null));
  }

  @Test
  void setters_setTwice_throwIllegalState() {
    BearerTokenFilter.Builder builder = BearerTokenFilter.builder(tokens)
        .realm("r").publicPaths("/a").failureLimit(1, Duration.ofSeconds(1))
        .allowQueryParameter(false).allowFormParameter(false).clock(Clock.systemUTC());

    assertEquals("realm was already set",
        assertThrows(IllegalStateException.class, () -> builder.realm("r")).getMessage());
    assertThrows(IllegalStateException.class, () -> builder.publicPaths("/b"));
    assertThrows(IllegalStateException.class,
        () -> builder.failureLimit(2, Duration.ofSeconds(1)));
    assertThrows(IllegalStateException.class, () -> builder.allowQueryParameter(true));
    assertThrows(IllegalStateException.class, () -> builder.allowFormParameter(true));
    assertThrows(IllegalStateException.class, () -> builder.clock(Clock.systemUTC()));
  }

  @Test
  void realm_invalid_throwsWithValue() {
    assertEquals("realm must be 1 to 256 characters: 0", assertThrows(
        IllegalArgumentException.class, () -> BearerTokenFilter.builder(tokens).realm(""))
        .getMessage());
    assertEquals("realm must be printable ASCII: U+000A at index 1", assertThrows(
        IllegalArgumentException.class, () -> BearerTokenFilter.builder(tokens).realm("a\nb"))
        .getMessage());
    assertThrows(NullPointerException.class, () -> BearerTokenFilter.builder(tokens).realm(null));
  }

  @Test
  void failureLimit_outOfRange_throwsWithValue() {
    assertEquals("failureLimit must be at least 1: 0", assertThrows(
        IllegalArgumentException.class,
        () -> BearerTokenFilter.builder(tokens).failureLimit(0, Duration.ofMinutes(1)))
        .getMessage());
    assertEquals("failure window must be positive: PT0S", assertThrows(
        IllegalArgumentException.class,
        () -> BearerTokenFilter.builder(tokens).failureLimit(1, Duration.ZERO)).getMessage());
  }

  @Test
  void tokenPrincipal_getName_isSubject() {
    SessionId id = SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA");
    TokenPrincipal principal = new TokenPrincipal("alice", id);

    assertEquals("alice", principal.getName());
    assertEquals(id, principal.sessionId());
    assertThrows(NullPointerException.class, () -> new TokenPrincipal(null, id));
  }
}
