package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DemoOptionsTest {

  @Test
  void parse_noArguments_givesTheDocumentedDefaults() {
    DemoOptions options = DemoOptions.parse();
    assertEquals(8080, options.port());
    assertEquals("127.0.0.1", options.host());
    assertEquals(Path.of("tokenkeeper-data"), options.dataDir());
  }

  @Test
  void parse_everyOption() {
    DemoOptions options = DemoOptions.parse("--port", "0", "--host", "::1", "--data-dir", "/tmp/x");
    assertEquals(0, options.port());
    assertEquals("::1", options.host());
    assertEquals(Path.of("/tmp/x"), options.dataDir());
    assertTrue(DemoOptions.parse("--port", "1", "--help").help());
    assertEquals("redis://127.0.0.1:6379",
        DemoOptions.parse("--store", "redis://127.0.0.1:6379").store());
    assertEquals("redis-cluster://10.0.0.1:7000,10.0.0.2:7000", DemoOptions.parse("--store",
        "redis-cluster://10.0.0.1:7000,10.0.0.2:7000").store());
    assertEquals(null, DemoOptions.parse().store());
  }

  @Test
  void parse_badInput_saysWhatIsWrongInOneLine() {
    assertEquals("--port must be a number from 0 to 65535: '70000'", assertThrows(
        IllegalArgumentException.class, () -> DemoOptions.parse("--port", "70000")).getMessage());
    assertEquals("--port needs a value (try --help)", assertThrows(
        IllegalArgumentException.class, () -> DemoOptions.parse("--port")).getMessage());
    assertEquals("unknown option '--prot' (try --help)", assertThrows(
        IllegalArgumentException.class, () -> DemoOptions.parse("--prot", "1")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse("--data-dir", " "));
    String refusal = assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse("--store", "mysql://root:hunter2@db")).getMessage();
    assertTrue(
        refusal.startsWith("--store must be a redis://, rediss://, redis-cluster:// or "
            + "postgresql:// URI"), refusal);
    assertFalse(refusal.contains("hunter2"), refusal);
  }

  @Test
  void parse_metricsPublic_isOffUnlessGiven() {
    assertFalse(DemoOptions.parse().metricsPublic());
    assertTrue(DemoOptions.parse("--metrics-public").metricsPublic());
    assertTrue(DemoOptions.USAGE.contains("--metrics-public"));
  }

  @Test
  void parse_newOptions() {
    DemoOptions options = DemoOptions.parse("--trusted-proxy", "10.0.0.0/8", "--trusted-proxy",
        "::1", "--tls-keystore", "/tmp/k.p12", "--host", "0.0.0.0", "--max-sessions", "3");
    assertEquals(java.util.List.of("10.0.0.0/8", "::1"), options.trustedProxies());
    assertEquals(Path.of("/tmp/k.p12"), options.tlsKeystore());
    assertEquals("https", options.scheme());
    assertEquals(3, options.maxSessions());
    assertTrue(DemoOptions.parse("--host", "192.0.2.1", "--insecure-http").insecureHttp());
    assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse("--trusted-proxy", "proxy.internal"));
    assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse("--trusted-proxy", "10.0.0.0/33"));
  }

  @Test
  void parse_nonLoopbackHostWithoutTls_isRefusedInOneLine() {
    String why = assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse("--host", "0.0.0.0")).getMessage();
    assertTrue(why.contains("--tls-keystore") && why.contains("--insecure-http"), why);
    assertFalse(why.contains("\n"), why);
    assertEquals("localhost", DemoOptions.parse("--host", "localhost").host());
  }
}
