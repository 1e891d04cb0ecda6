package dev.tokenkeeper.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.tokenkeeper.core.SecurityEvent;
import dev.tokenkeeper.core.SecurityEventListener;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log: every security event as one JSON line on the SLF4J logger
 * {@value #LOGGER}, e.g. {@code {"event":"reuse_detected","at":"...","subject":"alice@example.com",
 * "session":"...","token":"3f2a9c1e"}}. Tokens appear as 8-hex fingerprints only, as the events
 * carry them. Accepted tokens are not logged (one per request; the metrics count them).
 *
 * <p>The request's thread only offers the event to a bounded queue; one daemon thread formats
 * and logs. A slow or stuck log (a full disk, a pipe nobody reads) therefore never slows or
 * blocks a request: once the queue is full, events are dropped and counted, and the writer says
 * how many in a line of its own ({@code {"event":"audit_dropped","count":N}}) when it catches up.
 *
 * <p>Thread-safe. {@link #close()} writes what is queued (waiting up to 5 seconds) and stops.
 */
final class AuditLog implements SecurityEventListener, AutoCloseable {

  static final String LOGGER = "tokenkeeper.audit";
  static final int CAPACITY = 10_000;

  /**
   * Writes lines of printable ASCII only, every other character as a JSON hexadecimal escape. JSON
   * alone escapes only the quote, the backslash and the controls below U+0020; but U+0085, U+2028
   * and U+2029 end a line for Unicode-aware readers, appenders rewrite DEL and the C1 controls, and
   * a UTF-8 log turns an unpaired surrogate into '?': a subject could split a line or pass for
   * another.
   */
  private static final ObjectWriter LINE = Json.MAPPER.writer()
      .with(JsonWriteFeature.ESCAPE_NON_ASCII)
      .with(new AsciiEscapes());

  /** Where the lines go; the real one is the {@value #LOGGER} logger. */
  interface Sink {
    void write(boolean warning, String line);
  }

  private final BlockingQueue<SecurityEvent> queue;
  private final Sink sink;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;
  /** The writer thread's own: how many drops it has reported, and when it last did. */
  private long reportedDrops;
  private long lastDropReport = System.nanoTime();

  AuditLog(Sink sink, int capacity) {
    this.sink = sink;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.writer = new Thread(this::drain, "tokenkeeper-audit");
    writer.setDaemon(true);
    writer.start();
  }

  /** An audit log on the {@value #LOGGER} logger: WARN for theft and outages, else INFO. */
  static AuditLog start() {
    Logger log = LoggerFactory.getLogger(LOGGER);
    return new AuditLog((warning, line) -> {
      if (warning) {
        log.warn(line);
      } else {
        log.info(line);
      }
    }, CAPACITY);
  }

  /** Yes: {@link #onEvent} only offers to a bounded queue, so it is as good as queued. */
  @Override
  public boolean deliverInline() {
    return true;
  }

  /** Queues {@code event}, or counts it dropped if the queue is full. Never blocks. */
  @Override
  public void onEvent(SecurityEvent event) {
    if (closed || !queue.offer(event)) {
      dropped.incrementAndGet();
    }
  }

  /** Events dropped so far because the queue was full (or the log closed). */
  long dropped() {
    return dropped.get();
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    while (!closed || !queue.isEmpty()) {
      SecurityEvent event;
      try {
        event = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (event != null) {
        write(isWarning(event), line(event));
      }
      long drops = dropped.get();
      long now = System.nanoTime();
      // Said once caught up, or once a second while a flood keeps the queue full.
      if (drops != reportedDrops && (queue.isEmpty() || now - lastDropReport > 1_000_000_000L)) {
        write(true, "{\"event\":\"audit_dropped\",\"count\":" + (drops - reportedDrops) + "}");
        reportedDrops = drops;
        lastDropReport = now;
      }
    }
  }

  private void write(boolean warning, String line) {
    try {
      sink.write(warning, line);
    } catch (RuntimeException e) {
      // The log itself failed: nothing better to tell than standard error, and the writer goes on.
      System.err.println("tokenkeeper-demo: audit log failed: " + e);
    }
  }

  private static boolean isWarning(SecurityEvent event) {
    return event instanceof SecurityEvent.ReuseDetected
        || event instanceof SecurityEvent.ClientMismatch
        || event instanceof SecurityEvent.StoreUnavailable;
  }

  /** {@code event} as one line of JSON. */
  static String line(SecurityEvent event) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("event", name(event));
    fields.put("at", event.at().toString());
    if (event instanceof SecurityEvent.Issued e) {
      session(fields, e.subject(), e.sessionId());
      fields.put("token", e.tokenFingerprint());
      if (e.refreshFingerprint() != null) {
        fields.put("refresh_token", e.refreshFingerprint());
      }
    } else if (event instanceof SecurityEvent.Refreshed e) {
      session(fields, e.subject(), e.sessionId());
      fields.put("token", e.tokenFingerprint());
      fields.put("new_refresh_token", e.newRefreshFingerprint());
      fields.put("retry", e.retry());
    } else if (event instanceof SecurityEvent.Refused e) {
      fields.put("operation", tag(e.operation()));
      fields.put("reason", tag(e.reason()));
      if (e.subject() != null) {
        session(fields, e.subject(), e.sessionId());
      }
      if (e.tokenFingerprint() != null) {
        fields.put("token", e.tokenFingerprint());
      }
    } else if (event instanceof SecurityEvent.ClientMismatch e) {
      fields.put("operation", tag(e.operation()));
      session(fields, e.subject(), e.sessionId());
      fields.put("token", e.tokenFingerprint());
    } else if (event instanceof SecurityEvent.ReuseDetected e) {
      session(fields, e.subject(), e.sessionId());
      fields.put("token", e.tokenFingerprint());
    } else if (event instanceof SecurityEvent.Revoked e) {
      session(fields, e.subject(), e.sessionId());
      fields.put("cause", tag(e.cause()));
    } else if (event instanceof SecurityEvent.RevokedAll e) {
      fields.put("subject", e.subject());
      fields.put("sessions", e.sessions());
      fields.put("cause", tag(e.cause()));
    } else if (event instanceof SecurityEvent.StoreUnavailable e) {
      fields.put("operation", tag(e.operation()));
    }
    try {
      return LINE.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings, numbers and booleans is always JSON", e);
    }
  }

  private static void session(Map<String, Object> fields, String subject, Object id) {
    fields.put("subject", subject);
    fields.put("session", id.toString());
  }

  /** {@code ReuseDetected} as {@code reuse_detected}. */
  private static String name(SecurityEvent event) {
    return event.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2")
        .toLowerCase(Locale.ROOT);
  }

  private static String tag(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  /** JSON's standard escapes, and DEL too; {@code ESCAPE_NON_ASCII} escapes the rest. */
  private static final class AsciiEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] codes = standardAsciiEscapesForJSON();

    AsciiEscapes() {
      codes[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return codes;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return null; // no custom escape: every code above is a standard one
    }
  }
}
