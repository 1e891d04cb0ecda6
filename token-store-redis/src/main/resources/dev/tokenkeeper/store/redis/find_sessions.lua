-- Sessions of one subject (TokenStore.findSessions), as alternating ids and field lists, each
-- revoked if the subject's logout everywhere covers it. A member whose session reads as absent is
-- skipped, not dropped: before its score it may be on another node while a cluster moves the
-- slot, and a logout everywhere must still find it; the score trims it once Redis dropped it.
-- Without ids, reads the whole index if it holds at most ARGV[3] members,
-- else returns {'page'} and the caller pages through it with ZSCAN, handing the ids back here.
-- KEYS[1] subject index; ARGV[1] session key prefix, ARGV[2] subject marker prefix, ARGV[3]
-- most members read at once, ARGV[4 ..] ids to read
local ids = {unpack(ARGV, 4)}
if #ids == 0 then
  local now = now_ms()
  index_ready(KEYS[1], ARGV[1], now)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1)
  if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[3]) then
    return {'page'}
  end
  ids = redis.call('ZRANGE', KEYS[1], 0, -1)
end
local found = {}
for _, id in ipairs(ids) do
  local fields = redis.call('HGETALL', ARGV[1] .. id)
  if #fields > 0 then
    found[#found + 1] = id
    found[#found + 1] = with_marker(fields, ARGV[2])
  end
end
return found
