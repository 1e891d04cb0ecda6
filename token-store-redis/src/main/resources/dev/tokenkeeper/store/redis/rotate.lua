-- One refresh as a compare-and-set (TokenStore.rotate). The compare mirrors Rotation.appliesTo:
-- the session exists, is not revoked nor expired at the rotation's instant (instants are
-- fixed-width text, so they compare as strings), its current refresh token is the one expected,
-- and the presented token is of this session and not rotated yet. The set mirrors Rotation.applyTo: the
-- presented token becomes a tombstone with the sealed pair beside it, the new tokens are stored,
-- and the session gets the new current refresh token while last use and expiry only move forward
-- (SessionRecord.rotatedTo). A session its subject's logout everywhere covers is revoked. Every
-- key of the session then lives at least as long as the new expiry asks (see stretch).
-- The sealed pair lives as long as its tombstone, never by a Redis TTL of the grace window alone:
-- the window is the callers' clock's, and Redis's may run past it while theirs says it is open
-- (an instance whose clock lags, a slow run under a test clock), which would turn a retry into
-- reuse. As Rotation.applyTo does, a rotation drops the pairs of the session's earlier tombstones
-- whose window its instant has passed; the session's field sp names the tombstones holding one.
-- KEYS[1] session key, KEYS[2] the session's token set, KEYS[3] presented token key,
-- KEYS[4] presented token's successor key, KEYS[5] new refresh token key, KEYS[6] new access key
-- ARGV[1] session id, ARGV[2] expected current refresh id ('' for none), ARGV[3] rotated at,
-- ARGV[4] new session expiry, ARGV[5] TTL in ms for it, ARGV[6] sealed successor ('' for none),
-- ARGV[7] least TTL in ms for it (its window by the caller's clock), ARGV[8] new refresh id,
-- ARGV[9] its own expiry ('' for none), ARGV[10] new access id, ARGV[11] its own expiry ('' for
-- none), ARGV[12] token key prefix, ARGV[13] subject index prefix, ARGV[14] subject marker
-- prefix, ARGV[15] session key prefix, ARGV[16] successor key prefix
-- Returns 1 if applied, 0 if it no longer applies, -1 if a new token is already stored.
local s = redis.call('HMGET', KEYS[1], 'sub', 'r', 'rh', 'u', 'e', 'n', 'sp')
if not s[1] or s[2] or (s[3] or '') ~= ARGV[2] or ARGV[3] >= ascii_instant(s[5]) then
  return 0
end
local marker = ARGV[14] .. s[1]
if marker_covers(marker, s[6]) then
  return 0
end
local t = redis.call('HMGET', KEYS[3], 'sid', 'ro')
if t[1] ~= ARGV[1] or t[2] then
  return 0
end
if redis.call('EXISTS', KEYS[5]) == 1 or redis.call('EXISTS', KEYS[6]) == 1 then
  return -1
end
local held = {}
for id in string.gmatch(s[7] or '', '%S+') do
  local pair = ARGV[16] .. id
  local sealed = redis.call('GET', pair)
  if sealed and string.sub(ascii_instant(sealed), 1, 21) > ARGV[3] then
    held[#held + 1] = id
  elseif sealed then
    redis.call('DEL', pair)
  end
end
redis.call('HSET', KEYS[3], 'ro', ARGV[3])
redis.call('HSET', KEYS[1], 'rh', ARGV[8])
if ARGV[3] > ascii_instant(s[4]) then
  redis.call('HSET', KEYS[1], 'u', ARGV[3])
end
for i = 0, 1 do
  local key = KEYS[5 + i]
  redis.call('HSET', key, 'sid', ARGV[1])
  if ARGV[9 + 2 * i] ~= '' then
    redis.call('HSET', key, 'e', ARGV[9 + 2 * i])
  end
  redis.call('SADD', KEYS[2], ARGV[8 + 2 * i])
end
if ARGV[4] > ascii_instant(s[5]) then
  redis.call('HSET', KEYS[1], 'e', ARGV[4])
end
-- The new tokens end with the session, then everything lives as long as the new expiry asks.
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[5], ttl)
  redis.call('PEXPIRE', KEYS[6], ttl)
end
local now = now_ms()
local index = ARGV[13] .. s[1]
index_ready(index, ARGV[15], now)
stretch(KEYS[1], KEYS[2], tonumber(ARGV[5]), ARGV[12], index, marker, ARGV[1], now)
if ARGV[6] ~= '' then
  local keep = math.max(tonumber(ARGV[7]), redis.call('PTTL', KEYS[1]))
  redis.call('SET', KEYS[4], ARGV[6], 'PX', keep)
  held[#held + 1] = string.sub(KEYS[3], #ARGV[12] + 1)
end
if #held > 0 then
  redis.call('HSET', KEYS[1], 'sp', table.concat(held, ' '))
else
  redis.call('HDEL', KEYS[1], 'sp')
end
return 1
