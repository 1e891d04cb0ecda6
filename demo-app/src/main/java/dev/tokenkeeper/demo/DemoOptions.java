package dev.tokenkeeper.demo;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The demo's command line: {@code --port N}, {@code --host H}, {@code --data-dir DIR},
 * {@code --store URI}, {@code --help}. Immutable.
 *
 * @param port the port to listen on; 0 picks a free one
 * @param host the address to bind
 * @param dataDir where proposals (and, without {@code store}, tokens) are kept
 * @param store a {@code redis://} or {@code rediss://} URI for the tokens, or {@code null} for the
 *     file store in {@code dataDir}
 * @param help whether only the usage was asked for
 */
record DemoOptions(int port, String host, Path dataDir, String store, boolean help) {

  static final String USAGE = String.join("\n",
      "Usage: java -jar tokenkeeper-demo.jar [options]",
      "  --port N        port to listen on (default 8080; 0 picks a free port)",
      "  --host H        address to bind (default 127.0.0.1)",
      "  --data-dir DIR  where tokens and proposals are kept (default ./tokenkeeper-data)",
      "  --store URI     keep tokens in Redis instead: redis://HOST:PORT or rediss://...",
      "                  or PostgreSQL: postgresql://USER@HOST:PORT/DB (password in",
      "                  TOKENKEEPER_DB_PASSWORD) (default: the file store in --data-dir)",
      "  --help          print this help and exit");

  DemoOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
  }

  static DemoOptions defaults() {
    return new DemoOptions(8080, "127.0.0.1", Path.of("tokenkeeper-data"), null, false);
  }

  /**
   * Parses the command line.
   *
   * @throws IllegalArgumentException with a one-line message naming the bad option
   */
  static DemoOptions parse(String... args) {
    DemoOptions options = defaults();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> {
          return new DemoOptions(
              options.port, options.host, options.dataDir, options.store, true);
        }
        case "--port" -> options = new DemoOptions(parsePort(valueOf(args, ++i, arg)),
            options.host, options.dataDir, options.store, false);
        case "--host" -> options = new DemoOptions(options.port,
            nonBlank(valueOf(args, ++i, arg), arg), options.dataDir, options.store, false);
        case "--data-dir" -> options = new DemoOptions(options.port, options.host,
            Path.of(nonBlank(valueOf(args, ++i, arg), arg)), options.store, false);
        case "--store" -> options = new DemoOptions(options.port, options.host,
            options.dataDir, parseStore(valueOf(args, ++i, arg)), false);
        default -> throw new IllegalArgumentException(
            "unknown option '" + arg + "' (try --help)");
      }
    }
    return options;
  }

  private static String valueOf(String[] args, int index, String option) {
    if (index >= args.length) {
      throw new IllegalArgumentException(option + " needs a value (try --help)");
    }
    return args[index];
  }

  private static String nonBlank(String value, String option) {
    if (value.isBlank()) {
      throw new IllegalArgumentException(option + " must not be empty");
    }
    return value;
  }

  private static String parseStore(String value) {
    if (JdbcStores.isPostgres(value)) {
      return JdbcStores.requireValid(value);
    }
    if (!value.startsWith("redis://") && !value.startsWith("rediss://")) {
      throw new IllegalArgumentException(
          "--store must be a redis:// or rediss:// URI: '" + value + "'");
    }
    return value;
  }

  private static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // falls through to the one-line error below
    }
    throw new IllegalArgumentException("--port must be a number from 0 to 65535: '" + value + "'");
  }
}
