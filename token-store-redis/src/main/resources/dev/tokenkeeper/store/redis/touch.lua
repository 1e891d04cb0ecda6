-- Records a use of a session (TokenStore.touch), as SessionRecord.touchedAt: last use and expiry
-- only move forward, and a revoked session (also by its subject's logout everywhere) is left as
-- it is. The session's keys then live at least as long as this expiry asks, by the caller's
-- clock, never shorter than before (see stretch).
-- KEYS[1] session key, KEYS[2] the session's token set
-- ARGV[1] last use, ARGV[2] expiry (both fixed-width instants), ARGV[3] TTL in ms for that
-- expiry, ARGV[4] token key prefix, ARGV[5] subject index prefix, ARGV[6] subject marker prefix,
-- ARGV[7] session key prefix, ARGV[8] session id
local s = redis.call('HMGET', KEYS[1], 'sub', 'r', 'u', 'e', 'n')
if not s[1] or s[2] then
  return 0
end
local marker = ARGV[6] .. s[1]
if marker_covers(marker, s[5]) then
  return 0
end
if ARGV[1] > ascii_instant(s[3]) then
  redis.call('HSET', KEYS[1], 'u', ARGV[1])
end
if ARGV[2] > ascii_instant(s[4]) then
  redis.call('HSET', KEYS[1], 'e', ARGV[2])
end
local now = now_ms()
local index = ARGV[5] .. s[1]
index_ready(index, ARGV[7], now)
stretch(KEYS[1], KEYS[2], tonumber(ARGV[3]), ARGV[4], index, marker, ARGV[8], now)
return 1
