-- Upgrades layout-1 tokens to layout 2, one subject at a time, each subject in this one atomic
-- step, so an interrupted upgrade leaves every subject either old or new, and two stores
-- upgrading at once never both convert one (the second finds the old keys gone).
-- For each given layout-1 token key, every token of its subject (its index plus the key itself)
-- is grouped by session id into one layout-2 session: revoked iff all its tokens were (at the
-- last of those instants); created, last used and expiry span its tokens; its current refresh
-- token is unknown (field v1). A token keeps its own expiry when its session has several, and a
-- revoked token of a session with live ones becomes a rotated tombstone. Everything expires when
-- the longest-lived old key would have. Then the old keys go.
-- KEYS layout-1 token keys; ARGV[1] layout-1 token prefix, ARGV[2] layout-1 index prefix,
-- ARGV[3] layout-2 root
-- Returns how many sessions were written.
local written = 0
local function later(a, b)
  if not a or (b and b > a) then return b end
  return a
end
for _, scanned in ipairs(KEYS) do
  local subject = redis.call('HGET', scanned, 'sub')
  if subject then
    local index = ARGV[2] .. subject
    local ids = redis.call('SMEMBERS', index)
    ids[#ids + 1] = string.sub(scanned, #ARGV[1] + 1)
    local sessions, order, seen = {}, {}, {}
    for _, id in ipairs(ids) do
      local key = ARGV[1] .. id
      if not seen[id] then
        seen[id] = true
        local f = redis.call('HGETALL', key)
        if #f > 0 then
          local t = {id = id, key = key, ttl = redis.call('PTTL', key)}
          for i = 1, #f, 2 do t[f[i]] = f[i + 1] end
          -- Compared and written below as this release writes them (see ascii_instant).
          for _, field in ipairs({'c', 'u', 'e', 'r'}) do t[field] = ascii_instant(t[field]) end
          local s = sessions[t.sid]
          if not s then
            s = {tokens = {}, revoked = true}
            sessions[t.sid] = s
            order[#order + 1] = t.sid
          end
          s.tokens[#s.tokens + 1] = t
          s.revoked = s.revoked and t.r ~= nil
          s.r = later(s.r, t.r)
          s.u = later(s.u, t.u)
          s.e = later(s.e, t.e)
          if not s.c or t.c < s.c then s.c = t.c end
          s.ttl = math.max(s.ttl or -1, t.ttl)
          s.first = s.first or t
        end
      end
    end
    for _, sid in ipairs(order) do
      local s = sessions[sid]
      local sessionKey = ARGV[3] .. 's:' .. sid
      if redis.call('EXISTS', sessionKey) == 0 then
        local f = s.first
        redis.call('HSET', sessionKey, 'sub', subject, 'c', s.c, 'u', s.u, 'e', s.e, 'v1', '1')
        if f.lbl then redis.call('HSET', sessionKey, 'lbl', f.lbl) end
        if f.bn then redis.call('HSET', sessionKey, 'bn', f.bn) end
        if f.ba then redis.call('HSET', sessionKey, 'ba', f.ba) end
        if s.revoked then redis.call('HSET', sessionKey, 'r', s.r) end
        local tokensOf = ARGV[3] .. 'k:' .. sid
        for _, t in ipairs(s.tokens) do
          local tokenKey = ARGV[3] .. 't:' .. t.id
          redis.call('HSET', tokenKey, 'sid', sid)
          if #s.tokens > 1 then redis.call('HSET', tokenKey, 'e', t.e) end
          if t.r and not s.revoked then redis.call('HSET', tokenKey, 'ro', t.r) end
          redis.call('SADD', tokensOf, t.id)
          if s.ttl > 0 then redis.call('PEXPIRE', tokenKey, s.ttl) end
        end
        local newIndex = ARGV[3] .. 'i:' .. subject
        redis.call('SADD', newIndex, sid)
        if s.ttl > 0 then
          redis.call('PEXPIRE', sessionKey, s.ttl)
          redis.call('PEXPIRE', tokensOf, s.ttl)
          if redis.call('PTTL', newIndex) < s.ttl then redis.call('PEXPIRE', newIndex, s.ttl) end
        end
        written = written + 1
      end
      for _, t in ipairs(s.tokens) do
        redis.call('DEL', t.key)
      end
    end
    redis.call('DEL', index)
  end
end
return written
