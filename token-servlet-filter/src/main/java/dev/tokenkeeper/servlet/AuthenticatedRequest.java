package dev.tokenkeeper.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.security.Principal;

/**
 * A request a bearer token authenticated: the container's own authentication methods answer with
 * the token's principal. Tokens carry no roles, so {@link #isUserInRole(String)} is always false.
 */
final class AuthenticatedRequest extends HttpServletRequestWrapper {

  private final TokenPrincipal principal;

  AuthenticatedRequest(HttpServletRequest request, TokenPrincipal principal) {
    super(request);
    this.principal = principal;
  }

  @Override
  public Principal getUserPrincipal() {
    return principal;
  }

  @Override
  public String getRemoteUser() {
    return principal.subject();
  }

  @Override
  public String getAuthType() {
    return BearerTokenFilter.AUTH_TYPE;
  }

  @Override
  public boolean isUserInRole(String role) {
    return false;
  }
}
