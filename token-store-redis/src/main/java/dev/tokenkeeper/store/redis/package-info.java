/**
 * A Redis-backed {@link dev.tokenkeeper.core.TokenStore}, so several application instances share
 * one set of sessions. The one public type is {@link dev.tokenkeeper.store.redis.RedisTokenStore}
 * and its builder.
 */
package dev.tokenkeeper.store.redis;
