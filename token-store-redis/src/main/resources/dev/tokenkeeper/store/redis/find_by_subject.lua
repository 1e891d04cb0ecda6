-- Every record of one subject, as alternating index members and field lists; drops index
-- members whose record Redis has already expired.
-- KEYS[1] subject index key; ARGV[1] record key prefix
local found = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HGETALL', ARGV[1] .. member)
  if #fields == 0 then
    redis.call('SREM', KEYS[1], member)
  else
    found[#found + 1] = member
    found[#found + 1] = fields
  end
end
return found
