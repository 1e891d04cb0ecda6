package dev.tokenkeeper.servlet;

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
 * The SLF4J binding of this module's tests: keeps every log event in memory, message formatted
 * and stack trace included, so tests can read exactly what would reach a log file. Loggers under
 * {@code dev.tokenkeeper} are enabled at every level, TRACE included; others (Jetty) from INFO.
 * Nothing is printed.
 */
public final class CapturingLogProvider implements SLF4JServiceProvider {

  /** One captured event, fully rendered. */
  record Line(Level level, String logger, String text) {
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
  static List<Line> lines() {
    return List.copyOf(LINES);
  }

  static void clear() {
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
      StringBuilder text = new StringBuilder(
          MessageFormatter.basicArrayFormat(message, arguments));
      if (throwable != null) {
        StringWriter trace = new StringWriter();
        throwable.printStackTrace(new PrintWriter(trace));
        text.append(System.lineSeparator()).append(trace);
      }
      LINES.add(new Line(level, name, text.toString()));
    }
  }
}
