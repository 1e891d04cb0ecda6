/**
 * A durable {@link dev.tokenkeeper.core.TokenStore} kept in a local directory: an append-only,
 * checksummed log of token hashes and metadata with the live set in memory. The entry point is
 * {@link dev.tokenkeeper.store.file.FileTokenStore}; everything else in this package is
 * package-private.
 */
package dev.tokenkeeper.store.file;
