package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.servlet.WindowLimiter;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
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
      "failure-limit=0 | tokenkeeper.limits.failure-limit must be at least 1: 0",
      "failure-limit=5, failure-window=0s | tokenkeeper.limits.failure-window must be positive:"
          + " PT0S",
      "session-rate-limit=0, session-rate-window=1m | tokenkeeper.limits.session-rate-limit must"
          + " be at least 1: 0",
      "session-rate-limit=5, session-rate-window=-1s | tokenkeeper.limits.session-rate-window must"
          + " be positive: PT-1S",
      "session-rate-limit=5 | set both tokenkeeper.limits.session-rate-limit and"
          + " tokenkeeper.limits.session-rate-window, or neither",
      "session-rate-window=1m | set both tokenkeeper.limits.session-rate-limit and"
          + " tokenkeeper.limits.session-rate-window, or neither"})
  void outOfRange_failsTheStartup_namingTheProperty(String settings, String message) {
    String[] properties = Arrays.stream(settings.split(",\\s*"))
        .map(setting -> "tokenkeeper.limits." + setting).toArray(String[]::new);
    runner.withPropertyValues(properties).run(context ->
        assertThat(context).getFailure().rootCause().hasMessage(message));
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
