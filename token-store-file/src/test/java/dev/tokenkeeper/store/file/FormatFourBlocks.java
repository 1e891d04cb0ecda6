package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes an index's plain sessions as the blocks of a format 4 snapshot
 * ({@link LogEntry.PlainSessions}), laid out as {@link CompactLiveIndex#load} documents, as the
 * release before images wrote them: for tests that the store still reads them.
 */
final class FormatFourBlocks {

  private static final int SESSION_BYTES = 9 * Long.BYTES + 2 * Short.BYTES;

  private FormatFourBlocks() {}

  /** The blocks of {@code index}'s plain sessions; every other session goes to {@code others}. */
  static List<byte[]> of(LiveIndex index, Consumer<SessionRecord> others) {
    List<byte[]> blocks = new ArrayList<>();
    Map<String, Integer> texts = new LinkedHashMap<>();
    List<SessionRecord> sessions = new ArrayList<>();
    List<TokenHash> hashes = new ArrayList<>();
    int[] size = {2 * Short.BYTES};
    index.forEachSession(record -> {
      List<TokenRecord> tokens = index.tokensOf(record.id());
      if (!CompactLiveIndex.isPlain(record, tokens)) {
        others.accept(record);
        return;
      }
      String label = record.session().label();
      int need = SESSION_BYTES + textSize(texts, record.subject()) + textSize(texts, label);
      if (size[0] + need > Frames.MAX_BLOCK) {
        blocks.add(block(texts, sessions, hashes));
        size[0] = 2 * Short.BYTES;
        need = SESSION_BYTES + textSize(texts, record.subject()) + textSize(texts, label);
      }
      size[0] += need;
      texts.putIfAbsent(record.subject(), texts.size());
      if (label != null) {
        texts.putIfAbsent(label, texts.size());
      }
      sessions.add(record);
      hashes.add(tokens.get(0).hash());
    });
    if (!sessions.isEmpty()) {
      blocks.add(block(texts, sessions, hashes));
    }
    return blocks;
  }

  private static int textSize(Map<String, Integer> texts, String text) {
    return text == null || texts.containsKey(text) ? 0
        : 2 + text.getBytes(StandardCharsets.UTF_8).length;
  }

  private static byte[] block(Map<String, Integer> texts, List<SessionRecord> sessions,
      List<TokenHash> hashes) {
    ByteBuffer block = ByteBuffer.allocate(Frames.MAX_BLOCK);
    block.putShort((short) texts.size());
    for (String text : texts.keySet()) {
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      block.putShort((short) utf8.length).put(utf8);
    }
    block.putShort((short) sessions.size());
    for (int i = 0; i < sessions.size(); i++) {
      Session session = sessions.get(i).session();
      block.putLong(session.id().high()).putLong(session.id().low());
      for (int word = 0; word < 4; word++) {
        block.putLong(hashes.get(i).word(word));
      }
      block.putLong(nanos(session.createdAt())).putLong(nanos(session.lastUsedAt()))
          .putLong(nanos(session.expiresAt()))
          .putShort((short) (int) texts.get(session.subject()))
          .putShort((short) (session.label() == null ? 0xFFFF : texts.get(session.label())));
    }
    texts.clear();
    sessions.clear();
    hashes.clear();
    return java.util.Arrays.copyOf(block.array(), block.position());
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }
}
