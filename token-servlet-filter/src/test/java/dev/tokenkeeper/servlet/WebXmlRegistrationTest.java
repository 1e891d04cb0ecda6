package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.TokenService;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * The container route: Jetty's {@link WebAppContext} reads {@code WEB-INF/web.xml} from test
 * resources, builds the filters with their no-argument constructor and configures them from
 * init-params; the application's listener provides the {@link TokenService}.
 */
class WebXmlRegistrationTest {

  private static final String REALM_ONLY = "Bearer realm=\"web \\\"xml\\\"\"";

  private static TestServer server;
  private static TokenService tokens;
  private static List<CapturedLogs.Line> startupLog;

  @BeforeAll
  static void deploy() throws Exception {
    tokens = TokenService.builder().store(new InMemoryTokenStore()).build();
    TokenServiceListener.service = tokens;
    WebAppContext webapp = new WebAppContext();
    webapp.setContextPath("/");
    webapp.setBaseResourceAsPath(
        Path.of(WebXmlRegistrationTest.class.getResource("/webapp").toURI()));
    webapp.setParentLoaderPriority(true);
    // The application does not ship token-store-file: hide the real one, a test dependency here,
    // so the store-directory route meets a class path without it.
    webapp.getHiddenClassMatcher().add("dev.tokenkeeper.store.file.");
    CapturedLogs.clear();
    server = TestServer.start(webapp);
    startupLog = CapturedLogs.lines();
  }

  @AfterAll
  static void undeploy() {
    server.close();
    TokenServiceListener.service = null;
  }

  @Test
  void webXmlFilter_withGoodToken_reachesServletAsPrincipal() throws Exception {
    IssuedToken issued = tokens.issue("alice");

    HttpResponse<String> response = server.getWithToken("/api/me", issued.plaintext());

    assertEquals(200, response.statusCode());
    assertTrue(response.body().startsWith("principal=TokenPrincipal:alice\n"), response.body());
    assertTrue(response.body().contains("authType=Bearer\n"), response.body());
  }

  @Test
  void webXmlFilter_withoutToken_is401WithConfiguredRealm() throws Exception {
    HttpResponse<String> response = server.get("/api/me");

    assertEquals(401, response.statusCode());
    assertEquals(List.of(REALM_ONLY), response.headers().allValues("WWW-Authenticate"));
  }

  @Test
  void webXmlFilter_publicPath_passes() throws Exception {
    assertEquals(200, server.get("/health").statusCode());
  }

  @Test
  void unconfiguredFilter_refusesEveryRequestWith500AndLogsOneError() throws Exception {
    HttpResponse<String> response = server.get("/unconfigured/anything");

    assertEquals(500, response.statusCode());
    assertEquals("{\"error\":\"server_error\","
        + "\"error_description\":\"authentication is not configured\"}", response.body());
    List<String> errors = filterErrors("'unconfigured'");
    assertEquals(1, errors.size(), startupLog.toString());
    assertTrue(errors.get(0).contains("token-service-attribute"), errors.get(0));
  }

  @Test
  void storeDirectory_withoutFileStoreOnClassPath_failsClosedAndLogsOneError() throws Exception {
    HttpResponse<String> response = server.get("/file-store/anything");

    assertEquals(500, response.statusCode());
    assertEquals(Optional.of("no-store"), response.headers().firstValue("Cache-Control"));
    List<String> errors = filterErrors("'file-store'");
    assertEquals(1, errors.size(), startupLog.toString());
    assertTrue(errors.get(0).contains("dev.tokenkeeper.store.file.FileTokenStore"), errors.get(0));
    assertTrue(errors.get(0).contains("token-store-file"), errors.get(0));
  }

  private static List<String> filterErrors(String filterName) {
    return startupLog.stream()
        .filter(line -> line.level() == Level.ERROR)
        .filter(line -> line.logger().equals(BearerTokenFilter.class.getName()))
        .map(CapturedLogs.Line::text)
        .filter(text -> text.contains(filterName))
        .toList();
  }
}
