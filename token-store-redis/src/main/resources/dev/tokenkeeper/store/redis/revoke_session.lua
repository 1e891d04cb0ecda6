-- Revokes one session (TokenStore.revokeSession); like SessionRecord.revokedAt, the first
-- revocation is kept, including one by its subject's logout everywhere not yet written on it
-- (then written, and left for that logout to count: rm). The TTL is left alone: the tombstone
-- lasts as long as the session would.
-- KEYS[1] session key; ARGV[1] revocation instant, ARGV[2] subject marker prefix
local s = redis.call('HMGET', KEYS[1], 'sub', 'r', 'n')
if not s[1] or s[2] then
  return 0
end
local rat, ra = marker_covers(ARGV[2] .. s[1], s[3])
if rat then
  redis.call('HSET', KEYS[1], 'r', rat, 'rm', ra)
  return 0
end
redis.call('HSET', KEYS[1], 'r', ARGV[1])
return 1
