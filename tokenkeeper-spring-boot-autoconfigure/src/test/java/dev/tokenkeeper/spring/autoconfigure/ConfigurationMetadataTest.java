package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The configuration metadata IDEs complete {@code tokenkeeper.*} from is generated, holds every
 * setting the starter documents, each with a description, and shows the defaults.
 */
class ConfigurationMetadataTest {

  private static final Map<String, JsonNode> PROPERTIES = new LinkedHashMap<>();

  @BeforeAll
  static void read() throws Exception {
    try (InputStream json = ConfigurationMetadataTest.class.getResourceAsStream(
        "/META-INF/spring-configuration-metadata.json")) {
      assertThat(json).as("generated configuration metadata").isNotNull();
      for (JsonNode property : new ObjectMapper().readTree(json).get("properties")) {
        PROPERTIES.put(property.get("name").asText(), property);
      }
    }
  }

  @Test
  void everyDocumentedSetting_isThere() {
    assertThat(PROPERTIES).containsKeys("tokenkeeper.absolute-ttl", "tokenkeeper.idle-timeout",
        "tokenkeeper.access-ttl", "tokenkeeper.refresh-grace",
        "tokenkeeper.binding.ipv4-prefix-bits", "tokenkeeper.binding.ipv6-prefix-bits",
        "tokenkeeper.binding.user-agent", "tokenkeeper.limits.failure-limit",
        "tokenkeeper.limits.failure-window", "tokenkeeper.limits.session-rate-limit",
        "tokenkeeper.limits.session-rate-window", "tokenkeeper.store.type",
        "tokenkeeper.store.file.directory", "tokenkeeper.store.redis.uri",
        "tokenkeeper.store.redis.key-prefix", "tokenkeeper.store.jdbc.create-schema",
        "tokenkeeper.web.endpoints.enabled", "tokenkeeper.web.endpoints.base-path");
  }

  @Test
  void everySetting_isDescribed() {
    PROPERTIES.forEach((name, property) ->
        assertThat(property.path("description").asText()).as(name).isNotBlank());
  }

  @Test
  void defaults_areShown() {
    assertThat(defaultOf("tokenkeeper.store.file.directory")).isEqualTo("tokenkeeper-data");
    assertThat(defaultOf("tokenkeeper.absolute-ttl")).isEqualTo("7d");
    assertThat(defaultOf("tokenkeeper.limits.failure-window")).isEqualTo("1m");
    assertThat(PROPERTIES.get("tokenkeeper.limits.failure-limit").has("defaultValue"))
        .as("off unless set").isFalse();
  }

  private static String defaultOf(String name) {
    return PROPERTIES.get(name).path("defaultValue").asText();
  }
}
