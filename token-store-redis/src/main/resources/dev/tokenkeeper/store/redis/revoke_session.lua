-- Revokes one session (TokenStore.revokeSession); like SessionRecord.revokedAt, the first
-- revocation is kept. The TTL is left alone: the tombstone lasts as long as the session would.
-- KEYS[1] session key; ARGV[1] revocation instant
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
return redis.call('HSETNX', KEYS[1], 'r', ARGV[1])
