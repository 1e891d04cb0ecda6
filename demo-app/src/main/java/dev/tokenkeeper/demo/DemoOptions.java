package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.Client;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The demo's command line. Immutable.
 *
 * @param port the port to listen on; 0 picks a free one
 * @param host the address to bind
 * @param dataDir where proposals (and, without {@code store}, tokens) are kept
 * @param store a {@code redis://}, {@code rediss://} or {@code redis-cluster://} URI for the
 *     tokens, or {@code null} for the
 *     file store in {@code dataDir}
 * @param help whether only the usage was asked for
 * @param trustedProxies CIDR blocks of reverse proxies whose {@code X-Forwarded-For} is believed
 * @param tlsKeystore a PKCS12 keystore to serve HTTPS with, or {@code null} for HTTP
 * @param insecureHttp whether plain HTTP may be served on a non-loopback address
 * @param maxSessions live sessions per user; the idlest is ended past it
 * @param metricsPublic whether {@code /metrics} answers callers beyond this host
 */
record DemoOptions(int port, String host, Path dataDir, String store, boolean help,
    List<String> trustedProxies, Path tlsKeystore, boolean insecureHttp, int maxSessions,
    boolean metricsPublic) {

  /** The environment variable holding the keystore's password. */
  static final String TLS_PASSWORD_ENV = "TOKENKEEPER_TLS_PASSWORD";
  /** The environment variable holding the Redis password, if the URI has none. */
  static final String REDIS_PASSWORD_ENV = "TOKENKEEPER_REDIS_PASSWORD";

  static final String USAGE = String.join("\n",
      "Usage: java -jar tokenkeeper-demo.jar [options]",
      "  --port N             port to listen on (default 8080; 0 picks a free port)",
      "  --host H             address to bind (default 127.0.0.1); another than loopback",
      "                       needs --tls-keystore or --insecure-http",
      "  --data-dir DIR       where tokens and proposals are kept (default ./tokenkeeper-data)",
      "  --store URI          keep tokens in Redis instead: redis://HOST:PORT, rediss://...",
      "                       or redis-cluster://HOST:PORT[,HOST:PORT...] (password in the",
      "                       URI or in " + REDIS_PASSWORD_ENV + "), or in",
      "                       PostgreSQL: postgresql://USER@HOST:PORT/DB (password in",
      "                       TOKENKEEPER_DB_PASSWORD); default: the file store in --data-dir",
      "  --trusted-proxy CIDR a reverse proxy (address or block) whose X-Forwarded-For is",
      "                       believed; repeatable",
      "  --tls-keystore FILE  serve HTTPS only, with this PKCS12 keystore; its password in",
      "                       " + TLS_PASSWORD_ENV,
      "  --insecure-http      allow plain HTTP on an address other than loopback",
      "  --max-sessions N     live sessions per user, the idlest ended past it (default 10)",
      "  --metrics-public     serve /metrics to any caller, not only from this host",
      "  --help               print this help and exit");

  DemoOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    trustedProxies = List.copyOf(trustedProxies);
  }

  /** Options with {@code /metrics} for this host only. */
  DemoOptions(int port, String host, Path dataDir, String store, boolean help,
      List<String> trustedProxies, Path tlsKeystore, boolean insecureHttp, int maxSessions) {
    this(port, host, dataDir, store, help, trustedProxies, tlsKeystore, insecureHttp, maxSessions,
        false);
  }

  /** Options as before HTTPS and proxies: plain HTTP, no proxies, the default session cap. */
  DemoOptions(int port, String host, Path dataDir, String store, boolean help) {
    this(port, host, dataDir, store, help, List.of(), null, false, SessionCap.DEFAULT_MAX);
  }

  static DemoOptions defaults() {
    return new DemoOptions(8080, "127.0.0.1", Path.of("tokenkeeper-data"), null, false);
  }

  /** The URI scheme served. */
  String scheme() {
    return tlsKeystore == null ? "http" : "https";
  }

  /**
   * Parses the command line.
   *
   * @throws IllegalArgumentException with a one-line message naming the bad option
   */
  static DemoOptions parse(String... args) {
    int port = 8080;
    String host = "127.0.0.1";
    Path dataDir = Path.of("tokenkeeper-data");
    String store = null;
    List<String> proxies = new ArrayList<>();
    Path keystore = null;
    boolean insecure = false;
    int maxSessions = SessionCap.DEFAULT_MAX;
    boolean metricsPublic = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> {
          return new DemoOptions(port, host, dataDir, store, true, proxies, keystore, insecure,
              maxSessions, metricsPublic);
        }
        case "--port" -> port = parseInt(valueOf(args, ++i, arg), arg, 0, 65535);
        case "--host" -> host = nonBlank(valueOf(args, ++i, arg), arg);
        case "--data-dir" -> dataDir = Path.of(nonBlank(valueOf(args, ++i, arg), arg));
        case "--store" -> store = parseStore(valueOf(args, ++i, arg));
        case "--trusted-proxy" -> proxies.add(parseProxy(valueOf(args, ++i, arg)));
        case "--tls-keystore" -> keystore = Path.of(nonBlank(valueOf(args, ++i, arg), arg));
        case "--insecure-http" -> insecure = true;
        case "--max-sessions" -> maxSessions =
            parseInt(valueOf(args, ++i, arg), arg, 1, 1_000);
        case "--metrics-public" -> metricsPublic = true;
        default -> throw new IllegalArgumentException(
            "unknown option '" + arg + "' (try --help)");
      }
    }
    if (keystore == null && !insecure && !isLoopback(host)) {
      throw new IllegalArgumentException("--host " + host + " is not a loopback address: serve"
          + " HTTPS with --tls-keystore FILE, or pass --insecure-http to send tokens in clear");
    }
    return new DemoOptions(port, host, dataDir, store, false, proxies, keystore, insecure,
        maxSessions, metricsPublic);
  }

  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    String literal = host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1) : host;
    InetAddress address = Client.parseAddress(literal);
    return address != null && address.isLoopbackAddress();
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
    if (!value.startsWith("redis://") && !value.startsWith("rediss://")
        && !value.startsWith("redis-cluster://")) {
      // Not echoed: a URI may carry a password.
      throw new IllegalArgumentException(
          "--store must be a redis://, rediss://, redis-cluster:// or postgresql:// URI (the "
              + "value is not shown: it may hold a password)");
    }
    return value;
  }

  private static String parseProxy(String value) {
    int slash = value.indexOf('/');
    String address = slash < 0 ? value : value.substring(0, slash);
    String bits = slash < 0 ? "" : value.substring(slash + 1);
    InetAddress parsed = Client.parseAddress(address);
    int max = parsed == null ? 0 : parsed.getAddress().length * 8;
    if (parsed == null || (slash >= 0
        && (!bits.matches("[0-9]{1,3}") || Integer.parseInt(bits) > max))) {
      throw new IllegalArgumentException(
          "--trusted-proxy must be an IP address or CIDR block such as 10.0.0.0/8: '"
              + value + "'");
    }
    return value;
  }

  private static int parseInt(String value, String option, int min, int max) {
    try {
      int number = Integer.parseInt(value);
      if (number >= min && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // falls through to the one-line error below
    }
    throw new IllegalArgumentException(
        option + " must be a number from " + min + " to " + max + ": '" + value + "'");
  }
}
