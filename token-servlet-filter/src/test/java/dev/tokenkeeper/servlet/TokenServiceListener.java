package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.TokenService;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

/**
 * The application side of the web.xml route: puts the {@link TokenService} a test prepared into
 * the {@code ServletContext} attribute the filter's init-param names.
 */
public final class TokenServiceListener implements ServletContextListener {

  static final String ATTRIBUTE = "dev.tokenkeeper.tokenService";

  /** Set by the test before the web application starts. */
  static volatile TokenService service;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    event.getServletContext().setAttribute(ATTRIBUTE, service);
  }
}
