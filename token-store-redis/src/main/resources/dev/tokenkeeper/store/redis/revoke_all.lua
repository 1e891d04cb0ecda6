-- Revokes every record of one subject in one atomic step; drops index members whose record
-- Redis has already expired.
-- KEYS[1] subject index key; ARGV[1] record key prefix, ARGV[2] revocation instant
local count = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. member
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', KEYS[1], member)
  elseif redis.call('HSETNX', key, 'r', ARGV[2]) == 1 then
    count = count + 1
  end
end
return count
