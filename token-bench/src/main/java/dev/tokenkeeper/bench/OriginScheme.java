package dev.tokenkeeper.bench;

import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The origin system's token persistence, reimplemented faithfully for comparison: a map of raw
 * tokens ({@code secrets.token_urlsafe(32)}) to username, created and expiry date-times, written
 * whole to {@code auth_tokens.json} with an indent of two ({@code json.dump(data, f, indent=2)})
 * after every login. Like the origin, the file is truncated and rewritten in place and never
 * forced to disk, so a crash mid-write can lose every token. Not thread-safe (the origin ran it
 * under one interpreter lock).
 *
 * <p>To keep the number of live tokens steady while a benchmark logs in again and again, each
 * login beyond {@code liveTokens} drops the oldest entry, as if it had expired: a steady state
 * the origin reached by dropping expired tokens when they were presented.
 */
final class OriginScheme {

  private record Entry(String username, LocalDateTime createdAt, LocalDateTime expiresAt) {}

  private final Path file;
  private final int liveTokens;
  private final SecureRandom random = new SecureRandom();
  private final Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
  private final LinkedHashMap<String, Entry> tokens = new LinkedHashMap<>();
  /** Python's separators with indent=2: {@code "key": value}, no space before the colon. */
  private final ObjectWriter writer = new ObjectMapper().writer(new DefaultPrettyPrinter(
      Separators.createDefaultInstance()
          .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

  OriginScheme(Path file, int liveTokens) {
    this.file = file;
    this.liveTokens = liveTokens;
    for (int i = 0; i < liveTokens; i++) {
      put(Fixtures.subject(i));
    }
  }

  /** {@code generate_token(username)}: a new raw token, then the whole file rewritten. */
  String generateToken(String username) throws IOException {
    String token = put(username);
    if (tokens.size() > liveTokens) {
      Iterator<String> oldest = tokens.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    save();
    return token;
  }

  private String put(String username) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = base64.encodeToString(bytes);
    LocalDateTime now = LocalDateTime.now();
    tokens.put(token, new Entry(username, now, now.plus(Duration.ofDays(7))));
    return token;
  }

  /** {@code save_tokens()}: converts every entry's date-times to text and writes the file. */
  private void save() throws IOException {
    Map<String, Map<String, String>> data = new LinkedHashMap<>();
    for (Map.Entry<String, Entry> token : tokens.entrySet()) {
      Map<String, String> fields = new LinkedHashMap<>();
      fields.put("username", token.getValue().username());
      fields.put("created_at", token.getValue().createdAt().toString());
      fields.put("expires_at", token.getValue().expiresAt().toString());
      data.put(token.getKey(), fields);
    }
    writer.writeValue(file.toFile(), data);
  }
}
