package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * A store written by an earlier release, kept in the test resources as {@code NAME/} (its files)
 * and {@code NAME.properties} (the plaintexts its generator printed; they open nothing outside
 * the tests).
 */
final class StoreFixture {

  private StoreFixture() {}

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
