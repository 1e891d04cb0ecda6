package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertEquals("--store must be a redis:// or rediss:// URI: 'mysql://x'", assertThrows(
        IllegalArgumentException.class, () -> DemoOptions.parse("--store", "mysql://x"))
        .getMessage());
  }
}
