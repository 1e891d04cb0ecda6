-- One session's fields (TokenStore.findSession), revoked if its subject's logout everywhere
-- covers it; {} if it is gone.
-- KEYS[1] session key; ARGV[1] subject marker prefix
local session = redis.call('HGETALL', KEYS[1])
if #session == 0 then
  return {}
end
return with_marker(session, ARGV[1])
