-- Every session of one subject (TokenStore.findSessions), as alternating ids and field lists;
-- drops index members whose session Redis has already expired.
-- KEYS[1] subject index; ARGV[1] session key prefix
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HGETALL', ARGV[1] .. id)
  if #fields == 0 then
    redis.call('SREM', KEYS[1], id)
  else
    found[#found + 1] = id
    found[#found + 1] = fields
  end
end
return found
