package dev.tokenkeeper.store.file;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * A test-scope SLF4J binding that keeps every line logged at INFO or above, so tests can assert
 * what the store logs; WARN and ERROR also go to standard error. Tests run in parallel-safe temp
 * directories, so they pick their lines by the directory named in them.
 */
public final class CapturedLogs implements SLF4JServiceProvider {

  /** One formatted line. */
  record Line(Level level, String message) {}

  private static final ConcurrentLinkedQueue<Line> LINES = new ConcurrentLinkedQueue<>();

  private final ILoggerFactory factory = CapturingLogger::new;
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new NOPMDCAdapter();

  /** The lines at {@code level} that mention {@code text}. */
  static List<String> lines(Level level, String text) {
    return LINES.stream()
        .filter(l -> l.level() == level && l.message().contains(text))
        .map(Line::message)
        .collect(Collectors.toList());
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

  private static final class CapturingLogger extends LegacyAbstractLogger {

    CapturingLogger(String name) {
      this.name = name;
    }

    @Override
    public boolean isTraceEnabled() {
      return false;
    }

    @Override
    public boolean isDebugEnabled() {
      return false;
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
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern,
        Object[] arguments, Throwable throwable) {
      String message = MessageFormatter.basicArrayFormat(pattern, arguments);
      LINES.add(new Line(level, message));
      if (level.toInt() >= Level.WARN.toInt()) {
        System.err.println(level + " " + name + ": " + message);
      }
    }
  }
}
