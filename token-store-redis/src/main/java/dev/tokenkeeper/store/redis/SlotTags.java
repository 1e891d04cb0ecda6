package dev.tokenkeeper.store.redis;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * On a cluster, the slot tags this process has read from pointers, by session or token id: a
 * pointer never changes, so a tag read once holds for good, and the hot path (the same tokens
 * presented again and again) skips the pointer's round trip. Least recently used entries go
 * first beyond a fixed size.
 *
 * <p>Thread-safe.
 */
final class SlotTags {

  private final Map<String, String> tags;

  SlotTags(int maxEntries) {
    this.tags = new LinkedHashMap<>(64, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
        return size() > maxEntries;
      }
    };
  }

  synchronized String get(String id) {
    return tags.get(id);
  }

  synchronized void put(String id, String tag) {
    tags.put(id, tag);
  }
}
