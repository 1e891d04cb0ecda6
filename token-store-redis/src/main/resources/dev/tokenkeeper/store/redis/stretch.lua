-- Shared by the scripts that extend a session: every key of the session (its hash, its token set,
-- each token) gets the TTL of its new expiry, and its subject index lives at least as long.
local function stretch(session, tokens, ttl, tokenPrefix, index)
  redis.call('PEXPIRE', session, ttl)
  redis.call('PEXPIRE', tokens, ttl)
  for _, id in ipairs(redis.call('SMEMBERS', tokens)) do
    redis.call('PEXPIRE', tokenPrefix .. id, ttl)
  end
  if redis.call('PTTL', index) < ttl then
    redis.call('PEXPIRE', index, ttl)
  end
end

