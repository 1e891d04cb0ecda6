/**
 * A durable {@link dev.tokenkeeper.core.TokenStore} kept in a local directory: an append-only,
 * checksummed log of sessions, token hashes and metadata, with every session and token in
 * memory. The entry point is {@link dev.tokenkeeper.store.file.FileTokenStore}; everything else
 * in this package is package-private.
 */
package dev.tokenkeeper.store.file;
