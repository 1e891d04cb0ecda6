package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client address behind trusted proxies, as a real Jetty sees it from a real client on
 * 127.0.0.1: what {@link BearerTokenFilter#CLIENT_ADDRESS_ATTRIBUTE} holds for each header.
 */
class TrustedProxiesTest {

  private final TokenService tokens =
      TokenService.builder().store(new InMemoryTokenStore()).build();
  private TestServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  static Stream<Arguments> forwardedFor() {
    List<String> trustedHops = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      trustedHops.add("10.0." + (i / 256) + "." + (i % 256));
    }
    List<String> clientJunk = new ArrayList<>();
    for (int i = 0; i < 70; i++) {
      clientJunk.add("198.51.100." + i);
    }
    return Stream.of(
        Arguments.of("203.0.113.7", "203.0.113.7"),
        Arguments.of("203.0.113.7:51234", "203.0.113.7"),
        Arguments.of("[2001:db8::7]", "2001:db8:0:0:0:0:0:7"),
        Arguments.of("[2001:db8::7]:443", "2001:db8:0:0:0:0:0:7"),
        Arguments.of("2001:db8::7", "2001:db8:0:0:0:0:0:7"),
        Arguments.of("\"203.0.113.7\"", "203.0.113.7"),
        Arguments.of("\"[2001:db8::7]:443\"", "2001:db8:0:0:0:0:0:7"),
        Arguments.of("198.51.100.66, 203.0.113.7, 10.1.2.3", "203.0.113.7"),
        Arguments.of("203.0.113.7, " + String.join(", ", trustedHops), "203.0.113.7"),
        Arguments.of(String.join(",", clientJunk) + ",203.0.113.7", "203.0.113.7"),
        Arguments.of("203.0.113.7, evil.example", "127.0.0.1"),
        Arguments.of("203.0.113.7, 999.1.1.1", "127.0.0.1"),
        Arguments.of("203.0.113.7, [2001:db8::7", "127.0.0.1"),
        Arguments.of("203.0.113.7, 10.0.0.9:99999", "127.0.0.1"),
        Arguments.of("203.0.113.7, 10.0.0.9", "203.0.113.7"));
  }

  @ParameterizedTest(name = "X-Forwarded-For: {0}")
  @MethodSource("forwardedFor")
  void xForwardedFor_fromTrustedPeer_givesTheRightmostUntrustedEntry(String header,
      String client) throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .publicPaths("/open").trustedProxies("127.0.0.1", "10.0.0.0/8").build());

    assertEquals(client, clientAddress(server.get("/open", "X-Forwarded-For", header)));
  }

  static Stream<Arguments> forwarded() {
    return Stream.of(
        Arguments.of("for=203.0.113.7", "203.0.113.7"),
        Arguments.of("for=\"[2001:db8::7]:4711\";proto=https", "2001:db8:0:0:0:0:0:7"),
        Arguments.of("For=\"203.0.113.7:80\", for=10.0.0.3;by=10.0.0.4", "203.0.113.7"),
        Arguments.of("for=198.51.100.1, for=203.0.113.7;host=\"a,b\"", "203.0.113.7"),
        Arguments.of("for=203.0.113.7, for=_hidden", "127.0.0.1"),
        Arguments.of("for=203.0.113.7, for=unknown", "127.0.0.1"),
        Arguments.of("proto=https", "127.0.0.1"));
  }

  @ParameterizedTest(name = "Forwarded: {0}")
  @MethodSource("forwarded")
  void forwarded_whenChosen_isReadLikeXForwardedFor(String header, String client)
      throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens).publicPaths("/open")
        .trustedProxies("127.0.0.1", "10.0.0.0/8").forwardedHeader("forwarded").build());

    assertEquals(client, clientAddress(server.get("/open", "Forwarded", header,
        "X-Forwarded-For", "192.0.2.99")));
  }

  @Test
  void forwarded_whenNotChosen_isIgnored() throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .publicPaths("/open").trustedProxies("127.0.0.0/8").build());

    assertEquals("127.0.0.1",
        clientAddress(server.get("/open", "Forwarded", "for=203.0.113.7")));
  }

  @Test
  void forwardingHeaders_fromUntrustedPeer_areIgnored() throws Exception {
    server = TestServer.start(BearerTokenFilter.builder(tokens)
        .publicPaths("/open").trustedProxies("10.0.0.0/8", "::1").build());

    assertEquals("127.0.0.1",
        clientAddress(server.get("/open", "X-Forwarded-For", "203.0.113.7")));
  }

  @Test
  void forwardedHeader_otherThanTheTwo_isRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> BearerTokenFilter.builder(tokens).forwardedHeader("X-Real-IP"));
  }

  private static String clientAddress(HttpResponse<String> response) {
    assertEquals(200, response.statusCode(), response.body());
    return response.headers().firstValue("X-Client-Address").orElse("none");
  }
}
