-- A token with its session and sealed successor, read in one round trip (TokenStore.find).
-- KEYS[1] token key, KEYS[2] its successor key; ARGV[1] session key prefix, ARGV[2] subject
-- marker prefix
-- Returns {} if the token or its session is gone, else {token fields, session fields (revoked
-- if the subject's logout everywhere covers it), successor or nil}.
local sid = redis.call('HGET', KEYS[1], 'sid')
if not sid then
  return {}
end
local session = redis.call('HGETALL', ARGV[1] .. sid)
if #session == 0 then
  return {}
end
return {redis.call('HGETALL', KEYS[1]), with_marker(session, ARGV[2]), redis.call('GET', KEYS[2])}
