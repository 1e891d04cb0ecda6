package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A bad {@code tokenkeeper.*} setting stops the startup with a message naming the property, as
 * Boot's own settings do, so the user knows which line of their configuration to fix.
 */
class BadSettingsTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(TokenkeeperAutoConfiguration.class))
      .withPropertyValues("tokenkeeper.store.type=memory");

  @ParameterizedTest
  @CsvSource({
      "tokenkeeper.absolute-ttl, -1h",
      "tokenkeeper.absolute-ttl, 0s",
      "tokenkeeper.idle-timeout, -5m",
      "tokenkeeper.access-ttl, 0s",
      "tokenkeeper.refresh-grace, -1s",
      "tokenkeeper.refresh-grace, 10m",
      "tokenkeeper.binding.ipv4-prefix-bits, -1",
      "tokenkeeper.binding.ipv6-prefix-bits, 129"})
  void outOfRange_failsStartup_namingTheProperty(String property, String value) {
    runner.withPropertyValues(property + "=" + value).run(context -> {
      InvalidConfigurationPropertyValueException invalid = invalid(context);
      assertThat(invalid.getName()).isEqualTo(property);
      assertThat(invalid.getMessage()).contains(property);
    });
  }

  @Test
  void accessTtlOverAbsolute_failsStartup_namingBoth() {
    runner.withPropertyValues("tokenkeeper.absolute-ttl=1h", "tokenkeeper.access-ttl=2h")
        .run(context -> assertThat(messages(context))
            .contains("tokenkeeper.access-ttl").contains("tokenkeeper.absolute-ttl"));
  }

  @Test
  void idleTimeoutOverAbsolute_failsStartup_namingBoth() {
    runner.withPropertyValues("tokenkeeper.absolute-ttl=1h", "tokenkeeper.idle-timeout=2h")
        .run(context -> assertThat(messages(context))
            .contains("tokenkeeper.idle-timeout").contains("tokenkeeper.absolute-ttl"));
  }

  @Test
  void unknownStoreType_failsStartup_namingTheProperty() {
    runner.withPropertyValues("tokenkeeper.store.type=mongo").run(context ->
        assertThat(context).getFailure().hasStackTraceContaining("tokenkeeper.store.type"));
  }

  @Test
  void unwritableDirectory_failsStartup_namingTheProperty(@TempDir Path temp) throws Exception {
    // A directory cannot be made under a regular file, whoever runs the test (root included).
    Path file = Files.writeString(temp.resolve("a-file"), "not a directory");
    Path directory = file.resolve("tokens");
    runner.withPropertyValues("tokenkeeper.store.type=file",
        "tokenkeeper.store.file.directory=" + directory).run(context -> {
      InvalidConfigurationPropertyValueException invalid = invalid(context);
      assertThat(invalid.getName()).isEqualTo("tokenkeeper.store.file.directory");
      assertThat(invalid.getReason()).contains(directory.toString());
    });
  }

  @Test
  void badRedisKeyPrefix_failsStartup_namingTheProperty() {
    runner.withPropertyValues("tokenkeeper.store.type=redis",
        "tokenkeeper.store.redis.uri=redis://127.0.0.1:1", "tokenkeeper.store.redis.key-prefix=a b")
        .run(context -> assertThat(invalid(context).getName())
            .isEqualTo("tokenkeeper.store.redis.key-prefix"));
  }

  /** The messages of the startup failure and its causes, one a line. */
  private static String messages(AssertableApplicationContext context) {
    assertThat(context).hasFailed();
    StringBuilder messages = new StringBuilder();
    for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
      messages.append(t.getMessage()).append('\n');
    }
    return messages.toString();
  }

  private static InvalidConfigurationPropertyValueException invalid(
      AssertableApplicationContext context) {
    assertThat(context).hasFailed();
    for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
      if (t instanceof InvalidConfigurationPropertyValueException invalid) {
        return invalid;
      }
    }
    throw new AssertionError("no property named in " + context.getStartupFailure());
  }
}
