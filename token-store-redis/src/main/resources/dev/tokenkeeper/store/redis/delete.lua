-- Forgets one record and its subject index member.
-- KEYS[1] record key; ARGV[1] subject index key prefix, ARGV[2] index member
local subject = redis.call('HGET', KEYS[1], 'sub')
if not subject then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. subject, ARGV[2])
return 1
