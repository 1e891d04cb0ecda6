-- A token with its session and sealed successor, read in one round trip (TokenStore.find).
-- KEYS[1] token key, KEYS[2] its successor key; ARGV[1] session key prefix
-- Returns {} if the token or its session is gone, else {token fields, session fields,
-- successor or nil}.
local sid = redis.call('HGET', KEYS[1], 'sid')
if not sid then
  return {}
end
local session = redis.call('HGETALL', ARGV[1] .. sid)
if #session == 0 then
  return {}
end
return {redis.call('HGETALL', KEYS[1]), session, redis.call('GET', KEYS[2])}
