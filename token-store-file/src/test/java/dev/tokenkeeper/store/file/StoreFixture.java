package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

/**
 * A store written by an earlier release, kept in the test resources as {@code NAME/} (its files)
 * and {@code NAME.properties} (the plaintexts its generator printed; they open nothing outside
 * the tests).
 */
final class StoreFixture {

  /** Where the fixture's files were copied. */
  final Path dir;
  /** A minute after the fixture's generator stopped. */
  final MutableClock clock;
  private final Properties tokens;

  private StoreFixture(Path dir, Properties tokens) {
    this.dir = dir;
    this.tokens = tokens;
    this.clock = new MutableClock(Instant.parse(tokens.getProperty("now")).plusSeconds(60));
  }

  /**
   * Fixture {@code name} copied into {@code dir}, for a test that opens it as the service the
   * generator used did ({@link #open}, {@link #service}).
   */
  static StoreFixture of(String name, List<String> files, Path dir) throws IOException {
    return new StoreFixture(dir, copy(name, files, dir));
  }

  /** Opens the copy on the fixture's clock. */
  FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).clock(clock).build();
  }

  /** A service as the generators built theirs: legacy tokens on, 7 days absolute, 2 idle. */
  TokenService service(FileTokenStore store) {
    return TokenService.builder().store(store).clock(clock).acceptLegacyTokens()
        .absoluteTtl(Duration.ofDays(7)).idleTimeout(Duration.ofDays(2)).build();
  }

  /** A plaintext or figure the generator printed. */
  String token(String name) {
    return tokens.getProperty(name);
  }

  /** Copies fixture {@code name}'s {@code files} into {@code dir}; returns its properties. */
  static Properties copy(String name, List<String> files, Path dir) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = StoreFixture.class.getResourceAsStream("/" + name + ".properties")) {
      properties.load(in);
    }
    Files.createDirectories(dir);
    for (String file : files) {
      try (InputStream in = StoreFixture.class.getResourceAsStream("/" + name + "/" + file)) {
        Files.copy(in, dir.resolve(file));
      }
    }
    return properties;
  }
}
