-- Logout everywhere (TokenStore.revokeAll) in one atomic step whatever the subject's size: the
-- subject's marker is set to cover every session created so far (keeping the instant of an
-- earlier marker that already covers them all, as SessionRecord.revokedAt keeps the first), so
-- every script treats them as revoked from here on. A subject of at most ARGV[3] sessions is then
-- marked session by session at once; a larger one is left for the caller to mark in pages
-- (revoke_covered.lua), each short, so Redis is never blocked long.
-- KEYS[1] subject index, KEYS[2] subject marker
-- ARGV[1] session key prefix, ARGV[2] revocation instant, ARGV[3] most sessions marked at once
-- Returns {count of sessions live at the instant revoked} when done, or {'page', ra} when the
-- caller must mark the sessions numbered up to ra.
local now = now_ms()
index_ready(KEYS[1], ARGV[1], now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1)
local size = redis.call('ZCARD', KEYS[1])
if size == 0 then
  return {0}
end
local m = redis.call('HMGET', KEYS[2], 'n', 'ra')
local ra = m[1] or '0'
if m[2] ~= ra then
  redis.call('HSET', KEYS[2], 'ra', ra, 'rat', ARGV[2])
end
keep_at_least(KEYS[2], redis.call('PTTL', KEYS[1]))
if size > tonumber(ARGV[3]) then
  return {'page', ra}
end
local rat = redis.call('HGET', KEYS[2], 'rat')
return {revoke_covered(ARGV[1], redis.call('ZRANGE', KEYS[1], 0, -1), ra, rat, ARGV[2])}
