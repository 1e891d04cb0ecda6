-- One page of a large logout everywhere (see revoke_all.lua): marks revoked the given sessions
-- that the subject's marker ra covers. Nothing here decides revocation (the marker already has);
-- it writes it on each session and counts.
-- KEYS[1] subject index, KEYS[2] subject marker
-- ARGV[1] session key prefix, ARGV[2] revocation instant, ARGV[3] ra, ARGV[4 ..] session ids
local rat = redis.call('HGET', KEYS[2], 'rat')
if not rat then
  return 0
end
return revoke_covered(ARGV[1], {unpack(ARGV, 4)}, ARGV[3], rat, ARGV[2])
