package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tokenkeeper.core.FaultInjector;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;

/** What the introspector gives Spring Security for each kind of token, and for an outage. */
class TokenkeeperIntrospectorTest {

  private final FaultInjector faults = FaultInjector.scripted();
  private final TokenService tokens =
      TokenService.builder().store(faults.wrap(new InMemoryTokenStore())).build();
  private final TokenkeeperIntrospector introspector =
      new TokenkeeperIntrospector(tokens, IntrospectionLimits.NONE);

  @Test
  void validToken_principalNamedForSubject_withSessionAttributes() {
    IssuedToken issued = tokens.issue("alice@example.com", "Firefox on Linux");

    OAuth2AuthenticatedPrincipal principal = introspector.introspect(issued.plaintext());

    assertThat(principal.getName()).isEqualTo("alice@example.com");
    assertThat(principal.getAttributes())
        .containsEntry("sub", "alice@example.com")
        .containsEntry(TokenkeeperPrincipal.SESSION_ID, issued.session().id().value())
        .containsEntry(TokenkeeperPrincipal.LABEL, "Firefox on Linux")
        .containsEntry("iat", issued.session().createdAt());
    assertThat((Instant) principal.getAttribute("exp")).isAfter(Instant.now());
    assertThat(((TokenkeeperPrincipal) principal).session().id()).isEqualTo(issued.session().id());
    assertThat(principal.toString()).doesNotContain(issued.plaintext());
  }

  @Test
  void noLabel_noLabelAttribute() {
    IssuedToken issued = tokens.issue("alice@example.com");
    assertThat(introspector.introspect(issued.plaintext()).getAttributes())
        .doesNotContainKey(TokenkeeperPrincipal.LABEL);
  }

  @Test
  void everyRefusal_sameException_sameMessage() {
    IssuedToken revoked = tokens.issue("alice@example.com");
    tokens.revoke(revoked.plaintext());
    String unknown = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();

    for (String token : new String[] {"", "not-a-token", unknown, revoked.plaintext()}) {
      Throwable refused = catchThrowable(() -> introspector.introspect(token));
      assertThat(refused).as(token).isExactlyInstanceOf(BadOpaqueTokenException.class)
          .hasMessage(TokenkeeperIntrospector.INVALID);
    }
  }

  @Test
  void storeDown_outageThrownUnchanged_neverAsARefusal() {
    IssuedToken issued = tokens.issue("alice@example.com");
    faults.failNext(FaultInjector.Step.FIND, FaultInjector.When.BEFORE);

    // Unwrapped: as an OAuth2IntrospectionException Spring would make it an authentication
    // failure, which a configured failure handler may answer with 401.
    assertThatThrownBy(() -> introspector.introspect(issued.plaintext()))
        .isExactlyInstanceOf(StoreUnavailableException.class);
    assertThat(introspector.introspect(issued.plaintext()).getName())
        .isEqualTo("alice@example.com");
  }
}
