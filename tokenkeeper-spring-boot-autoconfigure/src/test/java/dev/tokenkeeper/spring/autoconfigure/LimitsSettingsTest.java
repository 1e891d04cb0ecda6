package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.servlet.WindowLimiter;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;

/**
 * {@code tokenkeeper.limits.*} reach the auto-configured introspector, are off unless set, and stop
 * the startup with a message naming the property when wrong.
 */
class LimitsSettingsTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(TokenkeeperAutoConfiguration.class,
          TokenkeeperSecurityAutoConfiguration.class))
      .withPropertyValues("tokenkeeper.store.type=memory");

  /** How many refused tokens the context's introspector takes before it answers 429. */
  private static int refusalsBefore429(OpaqueTokenIntrospector introspector, int most) {
    for (int i = 0; i < most; i++) {
      try {
        introspector.introspect("tk_unknown" + i);
      } catch (TooManyRequestsException limited) {
        return i;
      } catch (RuntimeException refused) {
        // a 401: counts as a failure
      }
    }
    return most;
  }

  @Test
  void failureLimit_set_theIntrospectorAnswers429PastIt() {
    runner.withPropertyValues("tokenkeeper.limits.failure-limit=3").run(context ->
        assertThat(refusalsBefore429(context.getBean(OpaqueTokenIntrospector.class), 50))
            .isEqualTo(3));
  }

  @Test
  void sessionRateLimit_set_theIntrospectorAnswers429PastIt() {
    runner.withPropertyValues("tokenkeeper.limits.session-rate-limit=2",
        "tokenkeeper.limits.session-rate-window=1m").run(context -> {
          OpaqueTokenIntrospector introspector = context.getBean(OpaqueTokenIntrospector.class);
          String token = context.getBean(TokenService.class).issue("alice").plaintext();
          introspector.introspect(token);
          introspector.introspect(token);
          assertThat(catchLimited(introspector, token)).isNotNull();
        });
  }

  private static TooManyRequestsException catchLimited(OpaqueTokenIntrospector introspector,
      String token) {
    try {
      introspector.introspect(token);
      return null;
    } catch (TooManyRequestsException limited) {
      return limited;
    }
  }

  @Test
  void nothingSet_noLimit() {
    runner.run(context ->
        assertThat(refusalsBefore429(context.getBean(OpaqueTokenIntrospector.class), 200))
            .isEqualTo(200));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "failure-limit=0 | failure-limit | 0 | must be at least 1",
      "failure-limit=5, failure-window=0s | failure-window | PT0S | must be positive",
      "session-rate-limit=0, session-rate-window=1m | session-rate-limit | 0 | must be at least 1",
      "session-rate-limit=5, session-rate-window=-1s | session-rate-window | PT-1S"
          + " | must be positive"})
  void outOfRange_failsTheStartup_namingTheProperty(String settings, String property,
      String value, String reason) {
    // The same report as any other bad tokenkeeper.* value (BadSettingsTest): Boot's, by name.
    runner.withPropertyValues(limits(settings)).run(context ->
        assertThat(context).getFailure().rootCause()
            .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class, invalid -> {
              assertThat(invalid.getName()).isEqualTo("tokenkeeper.limits." + property);
              assertThat(invalid.getValue()).hasToString(value);
              assertThat(invalid.getReason()).isEqualTo(reason);
            }));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"session-rate-limit=5", "session-rate-window=1m"})
  void halfOfTheSessionRate_failsTheStartup_namingBoth(String setting) {
    runner.withPropertyValues(limits(setting)).run(context ->
        assertThat(context).getFailure().rootCause().hasMessage(
            "set both tokenkeeper.limits.session-rate-limit and"
                + " tokenkeeper.limits.session-rate-window, or neither"));
  }

  private static String[] limits(String settings) {
    return Arrays.stream(settings.split(",\\s*"))
        .map(setting -> "tokenkeeper.limits." + setting).toArray(String[]::new);
  }

  @Test
  void notANumber_failsTheStartup_namingTheProperty() {
    runner.withPropertyValues("tokenkeeper.limits.failure-limit=many").run(context ->
        assertThat(context).getFailure()
            .hasStackTraceContaining("tokenkeeper.limits.failure-limit"));
  }

  @Test
  void limitSet_servletFilterModuleMissing_failsTheStartup_namingTheModule() {
    runner.withPropertyValues("tokenkeeper.limits.failure-limit=5")
        .withClassLoader(new FilteredClassLoader(WindowLimiter.class))
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("dev.tokenkeeper:token-servlet-filter"));
  }

  @Test
  void noLimitSet_servletFilterModuleMissing_introspectorStill() {
    runner.withClassLoader(new FilteredClassLoader(WindowLimiter.class))
        .run(context -> assertThat(context).hasSingleBean(OpaqueTokenIntrospector.class));
  }
}
