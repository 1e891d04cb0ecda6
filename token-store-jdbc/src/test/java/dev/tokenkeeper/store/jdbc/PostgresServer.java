package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server of the test's own: {@code initdb} into a temporary directory,
 * started on a free loopback port with its Unix socket in that directory, stopped and deleted
 * after. PostgreSQL refuses to run as root, so under root (as CI runs) the server runs as the
 * unprivileged {@code postgres} user (or {@code nobody}) through {@code runuser}.
 *
 * <p>The binaries are looked up in {@code $TOKENKEEPER_PG_BIN}, next to {@code pg_ctl} on
 * {@code PATH}, then in Debian's {@code /usr/lib/postgresql/<version>/bin}. Without them
 * {@link #start()} skips the calling test with one line, except under {@code CI=true}, where it
 * fails: CI must not pass by testing nothing.
 */
public final class PostgresServer implements AutoCloseable {

  static final String SKIP_MESSAGE = "PostgreSQL server binaries (initdb, pg_ctl) not found:"
      + " PostgreSQL tests skipped (install them: .ci/install-postgresql)";
  private static final Path BIN = findBinaries();
  private static volatile boolean skipReported;

  private final Path dir;
  private final Path data;
  private final String user;
  private final int port;
  private final Thread cleanup;
  /** The processes {@link #pause()} stopped, to be continued. */
  private volatile List<Long> frozen = List.of();

  private PostgresServer(Path dir, String user, int port) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.user = user;
    this.port = port;
    // A test JVM that dies must not leave a server running.
    this.cleanup = new Thread(() -> pgCtlQuietly("immediate"), "postgres-test-cleanup");
  }

  /** Initialises and starts a new server; skips the test if PostgreSQL is not installed. */
  public static PostgresServer start() throws IOException, InterruptedException {
    if (BIN == null && !skipReported) {
      skipReported = true;
      System.err.println(SKIP_MESSAGE);
    }
    if (BIN == null && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI=true but " + SKIP_MESSAGE);
    }
    assumeTrue(BIN != null, SKIP_MESSAGE);
    String user = isRoot() ? unprivilegedUser() : null;
    Path dir = Files.createTempDirectory("tokenkeeper-pg-");
    if (user != null) {
      UserPrincipal owner =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
      Files.setOwner(dir, owner);
    }
    PostgresServer server = new PostgresServer(dir, user, freePort());
    server.run(List.of(BIN.resolve("initdb").toString(), "-D", server.data.toString(),
        "-U", "tokenkeeper", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"));
    Runtime.getRuntime().addShutdownHook(server.cleanup);
    server.startServer();
    return server;
  }

  /** A JDBC URL for the {@code postgres} database, as the trusted {@code tokenkeeper} user. */
  public String url(String options) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=tokenkeeper"
        + (options.isEmpty() ? "" : "&" + options);
  }

  /**
   * The same database as a {@code postgresql://USER@HOST:PORT/DB} URI, as the demo's
   * {@code --store} takes it; the user needs no password.
   */
  public String uri() {
    return "postgresql://tokenkeeper@127.0.0.1:" + port + "/postgres";
  }

  public int port() {
    return port;
  }

  /**
   * Creates a login role that must give {@code password} (SCRAM-SHA-256) when it connects over
   * TCP, owning a new database of the same name, as a production database is set up; returns
   * its {@code postgresql://ROLE@HOST:PORT/ROLE} URI, which holds no password. Returns once a
   * login without the password is refused.
   */
  public String createPasswordRole(String role, String password)
      throws IOException, SQLException, InterruptedException {
    if (!role.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("role must be a plain lower-case name: " + role);
    }
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute("SET password_encryption = 'scram-sha-256'");
      statement.execute("CREATE ROLE " + role + " LOGIN PASSWORD '"
          + password.replace("'", "''") + "'");
      statement.execute("CREATE DATABASE " + role + " OWNER " + role);
      // The first matching line wins: this one before initdb's "trust" lines.
      Path hba = data.resolve("pg_hba.conf");
      Files.writeString(hba, "host all " + role + " 127.0.0.1/32 scram-sha-256\n"
          + Files.readString(hba));
      statement.execute("SELECT pg_reload_conf()");
    }
    // The server reloads its rules asynchronously: wait, bounded, until they apply.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/" + role + "?user=" + role;
    while (true) {
      try {
        DriverManager.getConnection(url).close();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("role " + role + " still logs in without a password");
        }
        Thread.sleep(20); // polling a server process's reload: there is no clock to inject
      } catch (SQLException e) {
        // 08004: the driver has no password to answer the server's request for one.
        if (!"08004".equals(e.getSQLState())) {
          throw e;
        }
        return "postgresql://" + role + "@127.0.0.1:" + port + "/" + role;
      }
    }
  }

  /** A new unpooled connection, for setting up and inspecting. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url(""));
  }

  /** Starts the (stopped) server again, on the same port and data. */
  public void startServer() throws IOException, InterruptedException {
    run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
        dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=200",
        "start"));
  }

  /** {@code pg_ctl stop -m immediate}: every server process ends at once, as in a crash. */
  public void crash() throws IOException, InterruptedException {
    run(pgCtl("immediate"));
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every process it started): connections
   * stay open and new ones are accepted by the kernel, but nothing answers, as with a database
   * host that hangs. {@link #resume()} undoes it.
   */
  public void pause() throws IOException, InterruptedException {
    long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0)
        .strip());
    List<Long> pids = new ArrayList<>();
    pids.add(postmaster);
    ProcessHandle.of(postmaster).orElseThrow().descendants()
        .forEach(child -> pids.add(child.pid()));
    frozen = List.copyOf(pids);
    signal("STOP", frozen);
  }

  /** Lets the processes {@link #pause()} froze run again. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT", frozen);
    frozen = List.of();
  }

  private static void signal(String signal, List<Long> pids)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    pids.forEach(pid -> command.add(Long.toString(pid)));
    Process kill = new ProcessBuilder(command).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " failed");
    }
  }

  /** {@code pg_ctl stop -m fast}: a clean shutdown. */
  public void stop() throws IOException, InterruptedException {
    run(pgCtl("fast"));
  }

  @Override
  public void close() throws IOException {
    if (!frozen.isEmpty()) {
      try {
        resume();
      } catch (InterruptedException | IllegalStateException e) {
        // Best effort: the stop below ends the server either way.
      }
    }
    pgCtlQuietly("fast");
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or ran already.
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private List<String> pgCtl(String mode) {
    return List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "60",
        "-m", mode, "stop");
  }

  private void pgCtlQuietly(String mode) {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      try {
        run(pgCtl(mode));
      } catch (IOException | InterruptedException | IllegalStateException e) {
        // Best effort on the way out.
      }
    }
  }

  private void run(List<String> command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (user != null) {
      full.addAll(List.of("runuser", "-u", user, "--"));
    }
    full.addAll(command);
    Path output = Files.createTempFile("tokenkeeper-pg-cmd-", ".log");
    try {
      Process process = new ProcessBuilder(full).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", full));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException("failed (" + process.exitValue() + "): "
            + String.join(" ", full) + "\n" + Files.readString(output) + serverLog());
      }
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private String serverLog() {
    try {
      return Files.readString(dir.resolve("server.log"));
    } catch (IOException e) {
      return "";
    }
  }

  private static Path findBinaries() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv("TOKENKEEPER_PG_BIN");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(":")) {
        Path pgCtl = Path.of(entry).resolve("pg_ctl");
        if (Files.isExecutable(pgCtl)) {
          try {
            candidates.add(pgCtl.toRealPath().getParent());
          } catch (IOException e) {
            // A dangling link: look further.
          }
        }
      }
    }
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        versions.sorted(Comparator.comparing(PostgresServer::version).reversed())
            .forEach(v -> candidates.add(v.resolve("bin")));
      } catch (IOException e) {
        // Nothing usable there.
      }
    }
    for (Path bin : candidates) {
      if (Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl"))
          && Files.isExecutable(bin.resolve("postgres"))) {
        return bin;
      }
    }
    return null;
  }

  private static int version(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static String unprivilegedUser() throws IOException {
    for (String candidate : List.of("postgres", "nobody")) {
      List<String> passwd = Files.readAllLines(Path.of("/etc/passwd"));
      if (passwd.stream().anyMatch(line -> line.startsWith(candidate + ":"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("running as root and no postgres or nobody user exists");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
