package dev.tokenkeeper.core;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J binding of the adapters' tests: keeps every log event in memory, message formatted
 * and stack trace included, so tests can assert exactly what would reach a log file. Loggers
 * under {@code dev.tokenkeeper} are enabled at every level, others (Jetty, Jedis) from INFO;
 * WARN and ERROR lines also go to standard error, so a failed run shows them.
 *
 * <p>Published in token-core's test-jar but not registered there: a module whose tests assert
 * on logs names this class in its own
 * {@code src/test/resources/META-INF/services/org.slf4j.spi.SLF4JServiceProvider}, so no other
 * module (the demo, with its own binding) gets two providers. Tests run in parallel in one JVM
 * only within a module, so they pick their lines by what is unique to them (a directory, a
 * session) or {@link #clear()} first in a test class that runs alone.
 */
public final class CapturedLogs implements SLF4JServiceProvider {

  /** One captured event, fully rendered: message, then the stack trace if one was logged. */
  public record Line(Level level, String logger, String text) {
    @Override
    public String toString() {
      return level + " " + logger + " " + text;
    }
  }

  private static final List<Line> LINES = new CopyOnWriteArrayList<>();

  private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();
  private final ILoggerFactory factory = name -> loggers.computeIfAbsent(name, Capturing::new);
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new BasicMDCAdapter();

  /** Every event captured since the last {@link #clear()}. */
  public static List<Line> lines() {
    return List.copyOf(LINES);
  }

  /** The text of each event at {@code level} that contains {@code text}. */
  public static List<String> texts(Level level, String text) {
    return LINES.stream()
        .filter(line -> line.level() == level && line.text().contains(text))
        .map(Line::text)
        .toList();
  }

  /** Forgets every event captured so far. */
  public static void clear() {
    LINES.clear();
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return factory;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {}

  private static final class Capturing extends LegacyAbstractLogger {

    private static final long serialVersionUID = 1L;
    private final boolean everything;

    Capturing(String name) {
      this.name = name;
      this.everything = name.startsWith("dev.tokenkeeper");
    }

    @Override
    public boolean isTraceEnabled() {
      return everything;
    }

    @Override
    public boolean isDebugEnabled() {
      return everything;
    }

    @Override
    public boolean isInfoEnabled() {
      return true;
    }

    @Override
    public boolean isWarnEnabled() {
      return true;
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String message,
        Object[] arguments, Throwable throwable) {
      String formatted = MessageFormatter.basicArrayFormat(message, arguments);
      StringBuilder text = new StringBuilder(formatted);
      if (throwable != null) {
        StringWriter trace = new StringWriter();
        throwable.printStackTrace(new PrintWriter(trace));
        text.append(System.lineSeparator()).append(trace);
      }
      LINES.add(new Line(level, name, text.toString()));
      if (level.toInt() >= Level.WARN.toInt()) {
        System.err.println(level + " " + name + ": " + formatted);
      }
    }
  }
}
