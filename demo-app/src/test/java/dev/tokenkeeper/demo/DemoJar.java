package dev.tokenkeeper.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged demo jar, started as a user starts it ({@code java -jar tokenkeeper-demo.jar}),
 * and the address line it prints once it serves. The jar is {@code -Ddemo.jar}, or the one
 * {@code package} leaves in {@code target/}.
 */
final class DemoJar {

  static final Path PATH =
      Path.of(System.getProperty("demo.jar", "target/tokenkeeper-demo.jar"));
  private static final Pattern ADDRESS = Pattern.compile("https?://127\\.0\\.0\\.1:(\\d+)");

  private DemoJar() {}

  /**
   * Starts the jar with {@code jvmOptions} before {@code -jar} and {@code args} after it; its
   * standard error goes to {@code stderr}, or nowhere if that is {@code null}. A file, not a
   * pipe: a stopped process's pipes are closed before they are read.
   */
  static Process launch(List<String> jvmOptions, Path stderr, String... args)
      throws IOException {
    return launch(jvmOptions, environment -> { }, stderr, args);
  }

  /** As {@link #launch(List, Path, String...)}, with {@code env} added to its environment. */
  static Process launch(List<String> jvmOptions, Map<String, String> env, Path stderr,
      String... args) throws IOException {
    return launch(jvmOptions, environment -> environment.putAll(env), stderr, args);
  }

  /**
   * As {@link #launch(List, Path, String...)}, with the environment (this process's, to begin
   * with) changed by {@code environment} first: how a test hands the demo a secret the way an
   * operator does, never on its command line.
   */
  static Process launch(List<String> jvmOptions, Consumer<Map<String, String>> environment,
      Path stderr, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", PATH.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectError(stderr == null
            ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(stderr.toFile()));
    environment.accept(builder.environment());
    return builder.start();
  }

  /**
   * Reads {@code process}'s standard output up to its address line, then keeps draining it so
   * the pipe never fills. Fails if the process ends first, with what it wrote to {@code stderr}
   * (as given to {@link #launch}) or, without one, its exit status.
   */
  static URI address(Process process, Path stderr) throws IOException, InterruptedException {
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      Matcher matcher = ADDRESS.matcher(line);
      if (matcher.find()) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // keep the pipe from filling
            }
          } catch (IOException ignored) {
            // the process died
          }
        });
        drain.setDaemon(true);
        drain.start();
        return URI.create(matcher.group());
      }
    }
    throw new AssertionError("the demo exited before printing its address: " + (stderr == null
        ? "exited " + process.waitFor(5, TimeUnit.SECONDS)
        : Files.readString(stderr, StandardCharsets.UTF_8)));
  }
}
