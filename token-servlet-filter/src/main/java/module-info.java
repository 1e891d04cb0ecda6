/**
 * Bearer-token authentication (RFC 6750) for any Servlet 6.0 container. The container provides
 * {@code jakarta.servlet}. The {@code store-directory} init parameter loads token-store-file's
 * {@code FileTokenStore} by name, so on the module path that module must be resolved too (a
 * {@code requires} in the application or {@code --add-modules dev.tokenkeeper.store.file}).
 */
module dev.tokenkeeper.servlet {
  requires transitive dev.tokenkeeper.core;
  requires transitive jakarta.servlet;
  requires org.slf4j;

  exports dev.tokenkeeper.servlet;
}
