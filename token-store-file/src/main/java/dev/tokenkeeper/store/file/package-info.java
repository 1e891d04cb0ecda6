/**
 * A durable {@link dev.tokenkeeper.core.TokenStore} kept in a local directory: an append-only,
 * checksummed log of sessions, token hashes and metadata, with every session and token in
 * memory. The entry point is {@link dev.tokenkeeper.store.file.FileTokenStore}, with what its
 * builder and methods take and give: {@link dev.tokenkeeper.store.file.Durability},
 * {@link dev.tokenkeeper.store.file.FileStoreStats} and
 * {@link dev.tokenkeeper.store.file.StoreLockedException}; {@link
 * dev.tokenkeeper.store.file.StoreTool} is the offline tool. Everything else in this package is
 * package-private.
 */
package dev.tokenkeeper.store.file;
