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
  private final String authType;

  AuthenticatedRequest(HttpServletRequest request, TokenPrincipal principal, String authType) {
    super(request);
    this.principal = principal;
    this.authType = authType;
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
    return authType;
  }

  @Override
  public boolean isUserInRole(String role) {
    return false;
  }
}
