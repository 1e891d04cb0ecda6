-- Marks a record revoked; its TTL is left alone, so the tombstone lasts until the token's expiry.
-- KEYS[1] record key; ARGV[1] revocation instant
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
return redis.call('HSETNX', KEYS[1], 'r', ARGV[1])
