-- Forgets, among the given session keys, those purgeable at ARGV[1] with every token of theirs
-- (SessionRecord.isPurgeableAt: expired, revoked or not).
-- KEYS session keys; ARGV[1] now, ARGV[2] session key prefix length, ARGV[3] token set prefix,
-- ARGV[4] token key prefix, ARGV[5] successor key prefix, ARGV[6] subject index prefix,
-- ARGV[7] session key prefix
local count = 0
local skip = tonumber(ARGV[2])
local now = now_ms()
for _, key in ipairs(KEYS) do
  local s = redis.call('HMGET', key, 'e', 'sub')
  if s[1] and ascii_instant(s[1]) <= ARGV[1] then
    local id = string.sub(key, skip + 1)
    local tokens = ARGV[3] .. id
    for _, token in ipairs(redis.call('SMEMBERS', tokens)) do
      redis.call('DEL', ARGV[4] .. token, ARGV[5] .. token)
    end
    redis.call('DEL', key, tokens)
    local index = ARGV[6] .. s[2]
    index_ready(index, ARGV[7], now)
    redis.call('ZREM', index, id)
    count = count + 1
  end
end
return count
