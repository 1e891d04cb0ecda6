-- Revokes every session of one subject in one atomic step (TokenStore.revokeAll), keeping each
-- first revocation (SessionRecord.revokedAt); counts those live at the instant
-- (SessionRecord.isLiveAt: not revoked, expiry after it). Drops index members whose session Redis
-- has already expired.
-- KEYS[1] subject index; ARGV[1] session key prefix, ARGV[2] revocation instant
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id
  local expires = redis.call('HGET', key, 'e')
  if not expires then
    redis.call('SREM', KEYS[1], id)
  elseif redis.call('HSETNX', key, 'r', ARGV[2]) == 1 and expires > ARGV[2] then
    count = count + 1
  end
end
return count
