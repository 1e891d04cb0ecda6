-- Stores a new record unless its key exists, indexes it under its subject, and sets both TTLs.
-- KEYS[1] record key, KEYS[2] subject index key
-- ARGV[1] TTL in ms, ARGV[2] index member, ARGV[3..] field names and values
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SADD', KEYS[2], ARGV[2])
-- The index lives as long as its longest-lived record (-1: no TTL yet).
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
