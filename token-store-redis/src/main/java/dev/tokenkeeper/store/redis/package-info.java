/**
 * A Redis-backed {@link dev.tokenkeeper.core.TokenStore}, so several application instances share
 * one set of sessions. The public types are {@link dev.tokenkeeper.store.redis.RedisTokenStore}
 * with its builder, and {@link dev.tokenkeeper.store.redis.RedisPoolStats}, the figures of its
 * connection pool.
 */
package dev.tokenkeeper.store.redis;
