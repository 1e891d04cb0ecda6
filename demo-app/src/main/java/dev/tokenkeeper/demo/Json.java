package dev.tokenkeeper.demo;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads request bodies and writes responses as JSON, with limits: bodies over 64 KiB, nesting
 * deeper than 32, duplicate keys, trailing data and non-JSON content types are refused as 4xx.
 */
final class Json {

  static final int MAX_BODY_BYTES = 64 * 1024;

  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(32)
        .maxStringLength(MAX_BODY_BYTES)
        .maxNumberLength(64)
        .build());
  }

  private Json() {}

  /** The request body as a JSON object, or an {@link ApiException} saying what is wrong. */
  static JsonNode readObject(HttpServletRequest request) throws IOException {
    String contentType = request.getContentType();
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].strip()
            .equals("application/json")) {
      throw new ApiException(415, "unsupported_media_type", "send Content-Type: application/json");
    }
    if (request.getContentLengthLong() > MAX_BODY_BYTES) {
      throw tooLarge();
    }
    byte[] body;
    try (InputStream in = request.getInputStream()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      throw tooLarge();
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (IOException e) {
      // Jackson's message may quote the input; say only that it is not JSON.
      throw new ApiException(400, "invalid_json", "the body is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw ApiException.badRequest("the body must be a JSON object");
    }
    return node;
  }

  /** The text field {@code name} of {@code body}: present, a string, 1 to {@code max} chars. */
  static String text(JsonNode body, String name, int max) {
    JsonNode field = body.get(name);
    if (field == null || field.isNull()) {
      throw ApiException.badRequest("'" + name + "' is required");
    }
    if (!field.isTextual()) {
      throw ApiException.badRequest("'" + name + "' must be a string");
    }
    String value = field.textValue();
    if (value.isEmpty() || value.length() > max) {
      throw ApiException.badRequest("'" + name + "' must be 1 to " + max + " characters");
    }
    return value;
  }

  /**
   * Writes {@code body} as the answer, with {@code Cache-Control: no-store} (answers carry tokens
   * and private data) and {@code X-Content-Type-Options: nosniff}.
   */
  static void write(HttpServletResponse response, int status, Object body) throws IOException {
    byte[] bytes = MAPPER.writeValueAsBytes(body);
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  static void writeError(HttpServletResponse response, int status, String error, String description)
      throws IOException {
    write(response, status, errorBody(error, description));
  }

  static Map<String, String> errorBody(String error, String description) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", error);
    body.put("error_description", description);
    return body;
  }

  private static ApiException tooLarge() {
    return new ApiException(413, "payload_too_large", "the body is over 64 KiB");
  }
}
