package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.core.FaultInjector;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The introspector's limits, as BearerTokenFilter's: what counts as a failure, when an address or
 * a session is refused and for how long. Time is a {@link MutableClock}.
 */
class IntrospectionLimitsTest {

  private static final Set<FaultInjector.Step> LOOKUPS = EnumSet.of(FaultInjector.Step.FIND);

  private final MutableClock clock = MutableClock.startingAt2026();
  private final FaultInjector faults = FaultInjector.scripted();
  private final TokenService tokens =
      TokenService.builder().store(faults.wrap(new InMemoryTokenStore())).build();

  @AfterEach
  void leaveTheRequest() {
    RequestContextHolder.resetRequestAttributes();
  }

  private TokenkeeperIntrospector introspector(String... settings) {
    TokenkeeperProperties.Limits limits = new TokenkeeperProperties.Limits();
    for (String setting : settings) {
      String[] pair = setting.split("=");
      switch (pair[0]) {
        case "failure-limit" -> limits.setFailureLimit(Integer.valueOf(pair[1]));
        case "failure-window" -> limits.setFailureWindow(Duration.parse(pair[1]));
        case "session-rate-limit" -> limits.setSessionRateLimit(Integer.valueOf(pair[1]));
        case "session-rate-window" -> limits.setSessionRateWindow(Duration.parse(pair[1]));
        default -> throw new IllegalArgumentException(setting);
      }
    }
    return new TokenkeeperIntrospector(tokens,
        IntrospectionLimits.of(limits, clock, getClass().getClassLoader()));
  }

  /** Serves the following calls as a request from {@code address}. */
  private static void from(String address) {
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api");
    request.setRemoteAddr(address);
    RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request));
  }

  private static void assertRefused(TokenkeeperIntrospector introspector, String token) {
    assertThatThrownBy(() -> introspector.introspect(token))
        .isExactlyInstanceOf(BadOpaqueTokenException.class);
  }

  private static TooManyRequestsException limited(TokenkeeperIntrospector introspector,
      String token) {
    TooManyRequestsException limited =
        catchThrowableOfType(TooManyRequestsException.class, () -> introspector.introspect(token));
    assertThat(limited).as("429 expected").isNotNull();
    return limited;
  }

  @Test
  void failureLimit_reached_addressRefusedBeforeAnyLookup_untilItsWindowEnds() {
    TokenkeeperIntrospector introspector = introspector("failure-limit=3", "failure-window=PT1M");
    String valid = tokens.issue("alice").plaintext();
    from("192.0.2.7");
    for (int i = 0; i < 3; i++) {
      assertRefused(introspector, "tk_unknown" + i);
    }
    int lookups = faults.calls(LOOKUPS);

    clock.advance(Duration.ofSeconds(20));
    TooManyRequestsException limited = limited(introspector, valid);
    assertThat(limited.limit()).isEqualTo(TooManyRequestsException.Limit.FAILURES);
    assertThat(limited.retryAfterSeconds()).isEqualTo(40);
    assertThat(faults.calls(LOOKUPS)).as("no lookup once limited").isEqualTo(lookups);

    from("198.51.100.1");
    assertThat(introspector.introspect(valid).getName()).isEqualTo("alice");

    from("192.0.2.7");
    clock.advance(Duration.ofSeconds(40));
    assertThat(introspector.introspect(valid).getName()).isEqualTo("alice");
  }

  @Test
  void validTokens_areNoFailures() {
    TokenkeeperIntrospector introspector = introspector("failure-limit=2");
    String valid = tokens.issue("alice").plaintext();
    from("192.0.2.7");
    for (int i = 0; i < 10; i++) {
      introspector.introspect(valid);
    }
    assertRefused(introspector, "tk_unknown");
    assertThat(introspector.introspect(valid).getName()).isEqualTo("alice");
  }

  @Test
  void storeOutage_isNoFailureOfTheClient() {
    TokenkeeperIntrospector introspector = introspector("failure-limit=1");
    String valid = tokens.issue("alice").plaintext();
    from("192.0.2.7");
    faults.failNext(FaultInjector.Step.FIND, FaultInjector.When.BEFORE);
    assertThatThrownBy(() -> introspector.introspect(valid))
        .isExactlyInstanceOf(StoreUnavailableException.class);
    assertThat(introspector.introspect(valid).getName()).isEqualTo("alice");
  }

  @Test
  void ipv6_countsByItsSlash64() {
    TokenkeeperIntrospector introspector = introspector("failure-limit=2");
    String valid = tokens.issue("alice").plaintext();
    from("2001:db8:0:7::1");
    assertRefused(introspector, "tk_unknown1");
    from("2001:db8:0:7::2");
    assertRefused(introspector, "tk_unknown2");
    from("2001:db8:0:7:ffff::3");
    assertThat(limited(introspector, valid).limit())
        .isEqualTo(TooManyRequestsException.Limit.FAILURES);
    from("2001:db8:0:8::1");
    assertThat(introspector.introspect(valid).getName()).isEqualTo("alice");
  }

  @Test
  void sessionRateLimit_passed_sessionRefusedUntilItsWindowEnds_otherSessionsNot() {
    TokenkeeperIntrospector introspector =
        introspector("session-rate-limit=2", "session-rate-window=PT10S");
    String phone = tokens.issue("alice").plaintext();
    String laptop = tokens.issue("alice").plaintext();
    from("192.0.2.7");
    introspector.introspect(phone);
    introspector.introspect(phone);

    TooManyRequestsException limited = limited(introspector, phone);
    assertThat(limited.limit()).isEqualTo(TooManyRequestsException.Limit.SESSION);
    assertThat(limited.retryAfterSeconds()).isEqualTo(10);
    assertThat(introspector.introspect(laptop).getName()).isEqualTo("alice");

    clock.advance(Duration.ofSeconds(10));
    assertThat(introspector.introspect(phone).getName()).isEqualTo("alice");
  }

  @Test
  void noRequest_unknownAddresses_shareOneBucket() {
    TokenkeeperIntrospector introspector = introspector("failure-limit=1");
    String valid = tokens.issue("alice").plaintext();
    assertRefused(introspector, "tk_unknown");
    limited(introspector, valid);
  }

  @Test
  void noLimitsSet_none() {
    assertThat(IntrospectionLimits.of(new TokenkeeperProperties.Limits(), clock,
        getClass().getClassLoader())).isSameAs(IntrospectionLimits.NONE);
    TokenkeeperIntrospector introspector = introspector();
    from("192.0.2.7");
    for (int i = 0; i < 100; i++) {
      assertRefused(introspector, "tk_unknown" + i);
    }
  }
}
