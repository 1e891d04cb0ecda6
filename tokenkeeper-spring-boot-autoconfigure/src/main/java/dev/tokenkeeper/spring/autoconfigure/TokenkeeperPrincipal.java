package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.Session;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.core.OAuth2TokenIntrospectionClaimNames;

/**
 * The caller of a request whose Tokenkeeper token was accepted: its name is the session's subject,
 * and its attributes carry the session, under the names an introspection response would use.
 *
 * <table>
 *   <caption>Attributes</caption>
 *   <tr><th>name</th><th>value</th></tr>
 *   <tr><td>{@code sub}</td><td>the subject (a String), also {@link #getName()}</td></tr>
 *   <tr><td>{@code session_id}</td><td>the session's public id (a String)</td></tr>
 *   <tr><td>{@code iat}</td><td>when the session began (an Instant)</td></tr>
 *   <tr><td>{@code exp}</td><td>when this token stops working (an Instant)</td></tr>
 *   <tr><td>{@code label}</td><td>the device label given at login (a String), if any</td></tr>
 * </table>
 *
 * <p>In a controller: {@code @AuthenticationPrincipal TokenkeeperPrincipal me}, then
 * {@code me.session()}. Holds no secret. Immutable.
 */
public final class TokenkeeperPrincipal implements OAuth2AuthenticatedPrincipal {

  /** The attribute holding the session id. */
  public static final String SESSION_ID = "session_id";

  /** The attribute holding the device label, present only when the session has one. */
  public static final String LABEL = "label";

  private final Session session;
  private final Map<String, Object> attributes;

  /**
   * The principal of {@code session}.
   *
   * @throws NullPointerException if {@code session} is {@code null}
   */
  public TokenkeeperPrincipal(Session session) {
    this.session = Objects.requireNonNull(session, "session");
    Map<String, Object> map = new LinkedHashMap<>();
    map.put(OAuth2TokenIntrospectionClaimNames.SUB, session.subject());
    map.put(SESSION_ID, session.id().value());
    // Spring reads iat and exp as Instants into the OAuth2AccessToken of the authentication.
    map.put(OAuth2TokenIntrospectionClaimNames.IAT, session.createdAt());
    map.put(OAuth2TokenIntrospectionClaimNames.EXP, session.expiresAt());
    if (session.label() != null) {
      map.put(LABEL, session.label());
    }
    this.attributes = Map.copyOf(map);
  }

  /** The session the token opens, as this use left it. */
  public Session session() {
    return session;
  }

  /** The subject the token was issued to. */
  @Override
  public String getName() {
    return session.subject();
  }

  @Override
  public Map<String, Object> getAttributes() {
    return attributes;
  }

  /** None: what a subject may do is the application's to decide. */
  @Override
  public Collection<? extends GrantedAuthority> getAuthorities() {
    return List.of();
  }

  @Override
  public String toString() {
    return "TokenkeeperPrincipal[subject=" + session.subject() + ", session=" + session.id() + "]";
  }
}
