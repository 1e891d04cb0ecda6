-- Redis's clock (TIME), read on the node holding KEYS[1]'s slot on a cluster, so every instance
-- using the same key reads the same node's clock.
-- KEYS[1] any key (not read); returns {seconds, microseconds}
return redis.call('TIME')
