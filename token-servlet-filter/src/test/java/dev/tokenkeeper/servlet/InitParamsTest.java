package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.file.StoreLockedException;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/**
 * Init-param parsing, each bad value failing closed with a message naming it, and the
 * {@code store-directory} route against the real {@code FileTokenStore} (a test dependency;
 * the filter loads it by name).
 */
class InitParamsTest {

  @TempDir Path directory;

  @Test
  void storeDirectory_withFileStoreOnClassPath_opensServesAndClosesItOnDestroy() throws Exception {
    String token;
    try (FileTokenStore earlier = FileTokenStore.open(directory)) {
      token = TokenService.builder().store(earlier).build().issue("alice").plaintext();
    }
    BearerTokenFilter filter = new BearerTokenFilter();
    filter.init(config(Map.of("store-directory", directory.toString())));

    try (TestServer server = TestServer.start(filter)) {
      HttpResponse<String> response = server.getWithToken("/api/me", token);
      assertEquals(200, response.statusCode(), "the token kept in the directory authenticates");
      assertThrows(StoreLockedException.class, () -> FileTokenStore.open(directory),
          "the filter holds the store open");
    }

    FileTokenStore.open(directory).close(); // destroy() closed the store and freed its lock
  }

  @Test
  void storeDirectory_thatCannotOpen_failsClosedNamingTheCause() throws Exception {
    Path notADirectory = Files.createFile(directory.resolve("a-file"));

    String message = failure(Map.of("store-directory", notADirectory.toString()));

    assertTrue(message.contains("could not open the file token store in " + notADirectory),
        message);
  }

  @Test
  void configure_withBothServiceSources_fails() {
    String message = failure(Map.of("store-directory", directory.toString(),
        "token-service-attribute", "tokens"));

    assertTrue(message.contains("only one of"), message);
  }

  @Test
  void configure_withUnknownParameter_failsNamingIt() {
    String message = failure(Map.of("token-service-attribute", "tokens", "public-path", "/x"));

    assertTrue(message.contains("unknown init-param 'public-path'"), message);
  }

  @Test
  void configure_withBadValues_failsNamingTheParameter() {
    assertTrue(failure(Map.of("token-service-attribute", "t", "failure-limit", "many"))
        .contains("failure-limit is not a number: many"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "failure-limit", "0"))
        .contains("failureLimit must be at least 1: 0"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "failure-window-seconds", "-5"))
        .contains("failure window must be positive"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "public-paths", "/ok, /*"))
        .contains("init-param public-paths: public path \"/*\" would open every path"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "allow-query-parameter", "yes"))
        .contains("allow-query-parameter must be true or false: yes"));
    assertTrue(failure(Map.of("token-service-attribute", "t", "realm", "caf\u00e9"))
        .contains("init-param realm: realm must be printable ASCII"));
  }

  @Test
  void configure_withBadValues_neverOpensTheStore() throws Exception {
    failure(Map.of("store-directory", directory.toString(), "failure-limit", "x"));

    try (Stream<Path> files = Files.list(directory)) {
      assertEquals(List.of(), files.toList(), "opening a store would have made its files");
    }
  }

  @Test
  void tokenServiceAttribute_holdingSomethingElse_failsNamingTheType() {
    ServletContext context = context(Map.of("tokens", "a string"));

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> InitParams.configure(config(Map.of("token-service-attribute", "tokens"), context)));

    assertTrue(e.getMessage().contains("holds a java.lang.String"), e.getMessage());
  }

  @Test
  void tokenServiceAttribute_found_configuresEveryOption() {
    TokenService tokens = TokenService.builder()
        .store(new dev.tokenkeeper.core.InMemoryTokenStore()).build();
    Map<String, String> params = new LinkedHashMap<>();
    params.put("token-service-attribute", "tokens");
    params.put("allow-query-parameter", "TRUE");
    params.put("allow-form-parameter", "false");

    InitParams.Configured configured = InitParams.configure(
        config(params, context(Map.of("tokens", tokens))));

    assertNotNull(configured.filter());
    assertSame(null, configured.ownedStore());
  }

  @Test
  void init_withBadConfiguration_logsExactlyOneError() {
    CapturedLogs.clear();

    new BearerTokenFilter().init(config(Map.of("failure-limit", "3")));

    List<CapturedLogs.Line> errors = CapturedLogs.lines().stream()
        .filter(line -> line.level() == Level.ERROR).toList();
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).text().contains("filter 'bearer' is not configured"));
  }

  private static String failure(Map<String, String> params) {
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> InitParams.configure(config(params)));
    return e.getMessage();
  }

  private static FilterConfig config(Map<String, String> params) {
    return config(params, context(Map.of()));
  }

  /** A real (Jetty) servlet context holding {@code attributes}. */
  private static ServletContext context(Map<String, Object> attributes) {
    ServletContext context = new ServletContextHandler().getServletContext();
    attributes.forEach(context::setAttribute);
    return context;
  }

  private static FilterConfig config(Map<String, String> params, ServletContext context) {
    return new FilterConfig() {
      @Override
      public String getFilterName() {
        return "bearer";
      }

      @Override
      public ServletContext getServletContext() {
        return context;
      }

      @Override
      public String getInitParameter(String name) {
        return params.get(name);
      }

      @Override
      public Enumeration<String> getInitParameterNames() {
        return Collections.enumeration(params.keySet());
      }
    };
  }
}
