/** The consumer example as a named module: token-store-file brings token-core with it. */
module dev.tokenkeeper.examples.consumer {
  requires dev.tokenkeeper.store.file;
}
