-- Stores a new session with its first tokens (TokenStore.create), all expiring with the session,
-- numbered after every earlier session of its subject (so a logout everywhere covers exactly
-- those before it); writes nothing if the session or any token is already stored.
-- KEYS[1] session key, KEYS[2] the session's token set, KEYS[3] subject index, KEYS[4] subject
-- marker
-- ARGV[1] TTL in ms, ARGV[2] session id, ARGV[3] token key prefix, ARGV[4] session key prefix,
-- ARGV[5] number n of tokens, ARGV[6 .. 5+2n] each token's id and own expiry ('' if none),
-- ARGV[6+2n ..] session fields
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local n = tonumber(ARGV[5])
for i = 0, n - 1 do
  if redis.call('EXISTS', ARGV[3] .. ARGV[6 + 2 * i]) == 1 then
    return -1
  end
end
local ttl = tonumber(ARGV[1])
local now = now_ms()
index_ready(KEYS[3], ARGV[4], now)
redis.call('HSET', KEYS[1], unpack(ARGV, 6 + 2 * n))
redis.call('HSET', KEYS[1], 'n', redis.call('HINCRBY', KEYS[4], 'n', 1))
redis.call('PEXPIRE', KEYS[1], ttl)
for i = 0, n - 1 do
  local id = ARGV[6 + 2 * i]
  local key = ARGV[3] .. id
  redis.call('HSET', key, 'sid', ARGV[2])
  if ARGV[7 + 2 * i] ~= '' then
    redis.call('HSET', key, 'e', ARGV[7 + 2 * i])
  end
  redis.call('PEXPIRE', key, ttl)
  redis.call('SADD', KEYS[2], id)
end
redis.call('PEXPIRE', KEYS[2], ttl)
index_keep(KEYS[3], ARGV[2], ttl, now)
keep_at_least(KEYS[4], ttl)
return 1
