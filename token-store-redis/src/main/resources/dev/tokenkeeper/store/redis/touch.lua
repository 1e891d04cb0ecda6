-- Records a use of a session (TokenStore.touch), as SessionRecord.touchedAt: last use and expiry
-- only move forward, and a revoked session is left as it is. A later expiry stretches the TTL of
-- the session, its tokens and, if needed, its subject index.
-- KEYS[1] session key, KEYS[2] the session's token set
-- ARGV[1] last use, ARGV[2] expiry (both fixed-width instants), ARGV[3] TTL in ms for that
-- expiry, ARGV[4] token key prefix, ARGV[5] subject index prefix
local s = redis.call('HMGET', KEYS[1], 'sub', 'r', 'u', 'e')
if not s[1] or s[2] then
  return 0
end
if ARGV[1] > s[3] then
  redis.call('HSET', KEYS[1], 'u', ARGV[1])
end
if ARGV[2] > s[4] then
  redis.call('HSET', KEYS[1], 'e', ARGV[2])
  stretch(KEYS[1], KEYS[2], tonumber(ARGV[3]), ARGV[4], ARGV[5] .. s[1])
end
return 1
