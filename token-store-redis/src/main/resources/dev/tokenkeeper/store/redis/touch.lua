-- Moves last use and expiry forward, never back, on a record that is not revoked; a later
-- expiry stretches the record's TTL and, if needed, its subject index's.
-- KEYS[1] record key
-- ARGV[1] last use, ARGV[2] expiry (both fixed-width instants), ARGV[3] TTL in ms for that
-- expiry, ARGV[4] subject index key prefix
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'r') == 1 then
  return 0
end
local current = redis.call('HMGET', KEYS[1], 'u', 'e', 'sub')
if ARGV[1] > current[1] then
  redis.call('HSET', KEYS[1], 'u', ARGV[1])
end
if ARGV[2] > current[2] then
  local ttl = tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'e', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
  local index = ARGV[4] .. current[3]
  if redis.call('PTTL', index) < ttl then
    redis.call('PEXPIRE', index, ttl)
  end
end
return 1
