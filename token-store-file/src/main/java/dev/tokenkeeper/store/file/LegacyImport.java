package dev.tokenkeeper.store.file;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Reads the origin system's {@code auth_tokens.json}:
 * {@code {"<token>": {"username": "...", "created_at": "...", "expires_at": "..."}}} with naive
 * ISO-8601 local date-times, read in the zone of the store's clock. Each raw token is hashed at
 * once and never kept, logged or put in a message; an entry is named by its position and
 * fingerprint. The whole file is validated before anything is imported: a malformed file is
 * refused, never half-imported. Each token becomes a session of its own, holding that one token,
 * expiring at the file's expiry but never later than a maximum lifetime from now: the origin
 * system's expiries are not trusted to respect the service's absolute lifetime.
 */
final class LegacyImport {

  /**
   * What the file holds once read.
   *
   * @param sessions one single-token session per live entry
   * @param expired entries skipped as expired
   * @param capped entries whose expiry was cut to the maximum lifetime
   * @param sha256 the SHA-256 of the file's bytes, hex: what the store records as imported
   */
  record Result(List<LogEntry.Create> sessions, int expired, int capped, String sha256) {}

  private LegacyImport() {}

  /**
   * Reads and validates the whole file.
   *
   * @throws StoreCorruptedException if it is not a valid origin token file
   */
  static Result read(Path file, byte[] bytes, ZoneId zone, Instant now, Duration maxLifetime,
      SecureRandom random) {
    ObjectMapper mapper = new ObjectMapper()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    JsonNode root;
    try {
      root = mapper.readTree(bytes);
    } catch (IOException e) {
      if (!(e instanceof JsonProcessingException)) {
        throw malformed(file, 0, "not readable as JSON");
      }
      JsonProcessingException json = (JsonProcessingException) e;
      // Jackson's message can quote the document, that is raw tokens: only the place is kept.
      long offset = json.getLocation() == null ? 0 : Math.max(0,
          Math.max(json.getLocation().getCharOffset(), json.getLocation().getByteOffset()));
      String where = json.getLocation() == null ? "" : " (line "
          + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() + ")";
      throw malformed(file, offset, "not valid JSON" + where);
    }
    if (root == null || !root.isObject()) {
      throw malformed(file, 0, "expected a JSON object of tokens");
    }
    List<LogEntry.Create> sessions = new ArrayList<>();
    Instant latest = now.plus(maxLifetime);
    int expired = 0;
    int capped = 0;
    int index = 0;
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      index++;
      String token = field.getKey();
      TokenHash hash = TokenHash.sha256(token);
      String entry = "entry " + index + " (token " + hash.fingerprint() + ")";
      if (token.isBlank()) {
        throw malformed(file, 0, entry + " has an empty token");
      }
      JsonNode value = field.getValue();
      if (!value.isObject()) {
        throw malformed(file, 0, entry + " is not an object");
      }
      String username = text(file, value, "username", entry);
      Instant created = instant(file, value, "created_at", entry, zone);
      Instant expires = instant(file, value, "expires_at", entry, zone);
      if (!expires.isAfter(now)) {
        expired++;
        continue;
      }
      if (expires.isAfter(latest)) {
        expires = latest;
        capped++;
      }
      Session session;
      try {
        session = new Session(randomId(random), username, null, created, created, expires);
      } catch (IllegalArgumentException e) {
        throw malformed(file, 0, entry + ": " + e.getMessage());
      }
      sessions.add(new LogEntry.Create(SessionRecord.of(session, null, null),
          List.of(TokenRecord.of(hash, session.id()))));
    }
    return new Result(sessions, expired, capped, sha256(bytes));
  }

  /** The SHA-256 of {@code bytes}, hex. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static String text(Path file, JsonNode value, String name, String entry) {
    JsonNode node = value.get(name);
    if (node == null || !node.isTextual()) {
      throw malformed(file, 0, entry + " has no text field \"" + name + "\"");
    }
    return node.asText();
  }

  private static Instant instant(Path file, JsonNode value, String name, String entry,
      ZoneId zone) {
    String text = text(file, value, name, entry);
    try {
      return LocalDateTime.parse(text).atZone(zone).toInstant();
    } catch (DateTimeParseException e) {
      throw malformed(file, 0, entry + " has \"" + name + "\" that is not an ISO-8601 local "
          + "date-time");
    }
  }

  private static SessionId randomId(SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  private static StoreCorruptedException malformed(Path file, long offset, String detail) {
    return new StoreCorruptedException(file.toString(), offset,
        "refused the legacy token file, nothing was imported: " + detail);
  }
}
