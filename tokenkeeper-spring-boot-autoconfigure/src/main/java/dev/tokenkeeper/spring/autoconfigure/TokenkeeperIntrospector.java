package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Checks Tokenkeeper tokens locally for Spring Security's resource server, so that
 * {@code http.oauth2ResourceServer(o -> o.opaqueToken(Customizer.withDefaults()))} accepts them.
 *
 * <p><b>Refusals.</b> Every refused token, whatever the reason, throws the same
 * {@link BadOpaqueTokenException}, which Spring answers with 401 and
 * {@code WWW-Authenticate: Bearer error="invalid_token"}: clients cannot probe why. The reason is
 * logged at DEBUG with the token's fingerprint (WARN for a token bound to another client).
 *
 * <p><b>Outages.</b> A {@link StoreUnavailableException} is thrown on unchanged. It must not
 * become an {@code OAuth2IntrospectionException}: Spring turns that into an
 * {@code AuthenticationServiceException}, which its failure handler rethrows today but a
 * configured one may answer with 401, logging every user out during an outage. As it is, no
 * Spring Security component handles it; {@link RefusalFilter}, outside the security chain,
 * answers 503.
 *
 * <p><b>Client.</b> The address and {@code User-Agent} for client binding come from the current
 * servlet request (the remote address, as Boot's forward-headers strategy resolves it).
 *
 * <p><b>Limits</b> ({@code tokenkeeper.limits.*}, off unless set), as BearerTokenFilter applies
 * them: a failure of the client address is reserved before the lookup and given back unless the
 * token is refused; an address at its failure limit, or a session past its rate limit, gets a
 * {@link TooManyRequestsException}, answered 429 by {@link RefusalFilter}.
 *
 * <p>Thread-safe.
 */
final class TokenkeeperIntrospector implements OpaqueTokenIntrospector {

  private static final Logger LOG = LoggerFactory.getLogger(TokenkeeperIntrospector.class);

  /** The one description every refusal carries. */
  static final String INVALID = "the access token is invalid, expired or revoked";

  private final TokenService tokens;
  private final IntrospectionLimits limits;

  TokenkeeperIntrospector(TokenService tokens, IntrospectionLimits limits) {
    this.tokens = tokens;
    this.limits = limits;
  }

  @Override
  public OAuth2AuthenticatedPrincipal introspect(String token) {
    HttpServletRequest request = currentRequest();
    Client client = request == null ? Client.UNKNOWN : clientOf(request);
    IntrospectionLimits.Failure failure = limits.reserveFailure(client.address());
    AuthResult result;
    try {
      result = tokens.authenticate(token, client);
    } catch (RuntimeException e) {
      failure.release(); // an outage is not the client's failure
      throw e;
    }
    if (result instanceof AuthResult.Authenticated authenticated) {
      failure.release();
      limits.countRequest(authenticated.session().id());
      return new TokenkeeperPrincipal(authenticated.session());
    }
    failure.keep();
    AuthResult.Reason reason = ((AuthResult.Rejected) result).reason();
    if (reason == AuthResult.Reason.CLIENT_MISMATCH) {
      LOG.warn("bearer token {} presented by {} does not match the client it is bound to",
          fingerprint(token), client.address());
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("refused bearer token {} from {}: {}", fingerprint(token), client.address(),
          reason);
    }
    throw new BadOpaqueTokenException(INVALID);
  }

  /** The servlet request being served on this thread, or {@code null} outside one. */
  static HttpServletRequest currentRequest() {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    return attributes instanceof ServletRequestAttributes servlet ? servlet.getRequest() : null;
  }

  static Client clientOf(HttpServletRequest request) {
    return new Client(request.getRemoteAddr(), request.getHeader("User-Agent"));
  }

  private static String fingerprint(String token) {
    return token == null ? "(none)" : TokenHash.sha256(token).fingerprint();
  }
}
