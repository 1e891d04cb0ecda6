-- Stores a new session with its first tokens (TokenStore.create), all expiring with the session;
-- writes nothing if the session or any token is already stored.
-- KEYS[1] session key, KEYS[2] the session's token set, KEYS[3] subject index
-- ARGV[1] TTL in ms, ARGV[2] session id, ARGV[3] token key prefix, ARGV[4] number n of tokens,
-- ARGV[5 .. 4+2n] each token's id and own expiry ('' if none), ARGV[5+2n ..] session fields
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  if redis.call('EXISTS', ARGV[3] .. ARGV[5 + 2 * i]) == 1 then
    return -1
  end
end
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 5 + 2 * n))
redis.call('PEXPIRE', KEYS[1], ttl)
for i = 0, n - 1 do
  local id = ARGV[5 + 2 * i]
  local key = ARGV[3] .. id
  redis.call('HSET', key, 'sid', ARGV[2])
  if ARGV[6 + 2 * i] ~= '' then
    redis.call('HSET', key, 'e', ARGV[6 + 2 * i])
  end
  redis.call('PEXPIRE', key, ttl)
  redis.call('SADD', KEYS[2], id)
end
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SADD', KEYS[3], ARGV[2])
-- The index lives as long as its longest-lived session (-1: no TTL yet).
if redis.call('PTTL', KEYS[3]) < ttl then
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return 1
