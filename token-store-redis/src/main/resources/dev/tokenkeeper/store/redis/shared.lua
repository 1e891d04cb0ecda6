-- Shared by every script that writes or reads a session (Redis scripts cannot include): Redis's
-- own clock, key lifetimes that only grow, the subject index and the subject's marker.

-- Milliseconds since the epoch by Redis's clock, the one clock every instance shares.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The zero digit of each script whose digits Java's Formatter writes for some default locale
-- (Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, Thai, Tibetan, Myanmar, Ol Chiki,
-- among the Unicode decimal digits of the Basic Multilingual Plane).
local DIGIT_ZEROS = {0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66,
  0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0,
  0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0,
  0xAA50, 0xABF0, 0xFF10}

-- A stored instant (or sealed successor, which starts with one) in ASCII digits. An earlier
-- release wrote instants in the digits of its JVM's default locale (Arabic-Indic in ar-SA, two
-- bytes each in UTF-8), and those compare, byte by byte, after every instant in ASCII digits.
-- Only well-formed UTF-8 of such digits is mapped: any other text is returned as it is.
local function ascii_instant(text)
  if not text or not string.find(text, '[\128-\255]') then
    return text
  end
  local out, length = {}, 0
  for ch in string.gmatch(text, '[%z\1-\127\194-\239][\128-\191]*') do
    length = length + #ch
    local b1, b2, b3 = string.byte(ch, 1, 3)
    if #ch == 1 and b1 < 128 then
      out[#out + 1] = ch
    else
      local cp
      if #ch == 2 and b1 >= 194 and b1 <= 223 then
        cp = (b1 % 32) * 64 + b2 % 64
      elseif #ch == 3 and b1 >= 224 and (b1 ~= 224 or b2 >= 160) then
        cp = (b1 % 16) * 4096 + (b2 % 64) * 64 + b3 % 64
      else
        return text
      end
      local digit
      for _, zero in ipairs(DIGIT_ZEROS) do
        if cp >= zero and cp <= zero + 9 then
          digit = cp - zero
          break
        end
      end
      if not digit then
        return text
      end
      out[#out + 1] = string.char(48 + digit)
    end
  end
  -- A byte no character starts with was skipped by the pattern: not such a text.
  if length ~= #text then
    return text
  end
  return table.concat(out)
end

-- Gives key a TTL of at least ttl ms and never shortens one, so a key outlives what every
-- instance that wrote it asked for, whatever that instance's clock said.
local function keep_at_least(key, ttl)
  if redis.call('PTTL', key) < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
end

-- The subject index is a sorted set of session ids, each scored by the time (Redis's clock) at
-- or after which Redis drops that session's keys. The first release of layout 2 kept a plain
-- set; one is converted here, once, when a script first meets it.
local function index_ready(index, sessionPrefix, now)
  if redis.call('TYPE', index).ok ~= 'set' then
    return
  end
  local ids = redis.call('SMEMBERS', index)
  redis.call('DEL', index)
  local longest = 0
  for _, id in ipairs(ids) do
    local ttl = redis.call('PTTL', sessionPrefix .. id)
    if ttl > 0 then
      redis.call('ZADD', index, now + ttl, id)
      longest = math.max(longest, ttl)
    end
  end
  if longest > 0 then
    redis.call('PEXPIRE', index, longest)
  end
end

-- Records that session id's keys live at least ttl ms more, and trims members whose keys Redis
-- has already dropped (score in the past), so the index holds only sessions still in Redis.
-- A member's score is never before its keys' end, so no live session is ever trimmed.
local function index_keep(index, id, ttl, now)
  redis.call('ZADD', index, 'GT', now + ttl, id)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now - 1)
  keep_at_least(index, ttl)
end

-- The subject's marker hash holds n, the number of its last created session, and, after a
-- logout everywhere, ra and rat: every session numbered up to ra was revoked at rat. Returns
-- rat and ra if they cover a session numbered n (none: created before numbering), else nil.
-- A numbered session's marker lives at least as long as it does (create, stretch), so one that
-- reads as absent is on another node while a cluster moves the slot (a key a script reads by
-- prefix, unnamed in KEYS, reads there as absent): the script stops, before any write, with
-- TRYAGAIN, as Redis does for named keys split by a move, rather than take the session as never
-- logged out everywhere.
local function marker_covers(marker, n)
  local m = redis.call('HMGET', marker, 'ra', 'rat', 'n')
  if n and not m[3] then
    error(redis.error_reply('TRYAGAIN the subject marker is not on this node'))
  end
  if m[1] and tonumber(n or 0) <= tonumber(m[1]) then
    return m[2], m[1]
  end
  return nil
end

-- A session's HGETALL reply with the marker applied: a session the marker covers and not yet
-- marked revoked is returned with r set to the marker's instant.
local function with_marker(fields, markerPrefix)
  local sub, n, r
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name == 'sub' then sub = fields[i + 1]
    elseif name == 'n' then n = fields[i + 1]
    elseif name == 'r' then r = fields[i + 1] end
  end
  if sub and not r then
    local at = marker_covers(markerPrefix .. sub, n)
    if at then
      fields[#fields + 1] = 'r'
      fields[#fields + 1] = at
    end
  end
  return fields
end

-- Every key of a session (its hash, its token set, each token) lives at least ttl ms more, and
-- so do the subject's index entry, index and marker.
local function stretch(session, tokens, ttl, tokenPrefix, index, marker, id, now)
  if redis.call('PTTL', session) < ttl then
    redis.call('PEXPIRE', session, ttl)
    redis.call('PEXPIRE', tokens, ttl)
    for _, token in ipairs(redis.call('SMEMBERS', tokens)) do
      redis.call('PEXPIRE', tokenPrefix .. token, ttl)
    end
  end
  index_keep(index, id, ttl, now)
  keep_at_least(marker, ttl)
end

-- Marks revoked, at the marker's instant rat, the sessions ids of the subject that logout
-- everywhere number ra covers. Counts those live at instant at that this call revoked, including
-- any a single logout marked for it (rm = ra). A session that reads as absent is left in the
-- index (see find_sessions.lua): the marker covers it wherever it is.
local function revoke_covered(sessionPrefix, ids, ra, rat, at)
  local count = 0
  for _, id in ipairs(ids) do
    local key = sessionPrefix .. id
    local s = redis.call('HMGET', key, 'e', 'r', 'n', 'rm')
    if s[1] and not s[2] then
      if tonumber(s[3] or 0) <= tonumber(ra) then
        redis.call('HSET', key, 'r', rat)
        if ascii_instant(s[1]) > at then count = count + 1 end
      end
    elseif s[1] and s[4] == ra then
      redis.call('HDEL', key, 'rm')
      if ascii_instant(s[1]) > at then count = count + 1 end
    end
  end
  return count
end

