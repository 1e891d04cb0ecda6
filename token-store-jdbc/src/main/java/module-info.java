/**
 * A {@code TokenStore} in a relational database (PostgreSQL) reached through the application's
 * {@code DataSource}; SLF4J carries its few log lines.
 */
module dev.tokenkeeper.store.jdbc {
  requires transitive dev.tokenkeeper.core;
  requires transitive java.sql;
  requires org.slf4j;

  exports dev.tokenkeeper.store.jdbc;
}
