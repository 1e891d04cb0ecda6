-- Forgets, among the given record keys, those expired at ARGV[1] (a fixed-width instant).
-- KEYS record keys; ARGV[1] now, ARGV[2] subject index key prefix, ARGV[3] record prefix length
local count = 0
local skip = tonumber(ARGV[3])
for _, key in ipairs(KEYS) do
  local current = redis.call('HMGET', key, 'e', 'sub')
  if current[1] and current[1] <= ARGV[1] then
    redis.call('DEL', key)
    redis.call('SREM', ARGV[2] .. current[2], string.sub(key, skip + 1))
    count = count + 1
  end
end
return count
