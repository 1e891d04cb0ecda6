/**
 * A durable {@code TokenStore} kept in a local directory, the embedded default. Jackson is needed
 * only to import the legacy JSON token file; SLF4J carries its few log lines.
 */
module dev.tokenkeeper.store.file {
  requires transitive dev.tokenkeeper.core;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;

  exports dev.tokenkeeper.store.file;
}
