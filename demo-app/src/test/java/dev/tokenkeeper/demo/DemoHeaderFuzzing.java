package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded random header lines over raw sockets: {@code Authorization} (most often),
 * {@code X-Forwarded-For} (which the filter parses, the listener trusting its own loopback as a
 * proxy) and headers a client commonly sends, including {@code Forwarded}, each
 * mutated by case flips, inserted separators, controls and non-ASCII bytes, deletions,
 * truncation, repetition past the header size limit and duplication. Every request gets a
 * well-formed status line, 200 only when it carries the real token, otherwise a 4xx; never a 5xx,
 * never a stack trace, never silence; and the server serves a good request afterwards.
 *
 * <p>The body-framing headers ({@code Content-Length}, {@code Transfer-Encoding}, {@code Expect})
 * and {@code Connection} are left alone: a body declared and never sent is a slow client, which
 * {@link DemoSlowInputTest} covers. The seed is printed and named in every failure; replay with
 * {@code mvn -B -pl demo-app -am test -Dtest='DemoHeaderFuzz*'
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.seed=N}.
 *
 * <p>Each listener is a subclass whose {@code @BeforeAll} (named apart: JUnit runs a superclass's
 * static {@code @BeforeAll} even when a subclass declares one of the same name) starts the one
 * server and sets the fields below; this class starts none.
 */
abstract class DemoHeaderFuzzing {

  private static final int REQUESTS = 200;
  private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) [^\r\n]*\r\n");
  private static final String TOKEN_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
  private static final String HOSTILE =
      " \t=,;:\"%&[]\r\n\u0000\u0001\u007f\u0080\u00a0\u00e9\u00ff";

  static MutableClock clock;
  static DemoServer server;
  static String token;
  /** Opens connections to the server: plain or TLS, as the subclass's listener needs. */
  static SocketFactory sockets;
  /** A well-behaved client of the same listener. */
  static DemoClient client;

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static long seed() {
    String given = System.getProperty("fuzz.seed");
    return given != null ? Long.parseLong(given) : new SecureRandom().nextLong();
  }

  @Test
  void fuzzedHeaders_get200OnlyWithTheTokenElse4xx_andTheServerKeepsServing()
      throws IOException {
    long seed = seed();
    System.out.println("header fuzz: " + server.uri() + " requests=" + REQUESTS + " seed=" + seed);
    Random random = new Random(seed);
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      if (i % 16 == 15) {
        // A new failure window before the address reaches its limit, so most requests get past
        // the limiter to the parser and the store instead of a 429.
        clock.advance(Duration.ofSeconds(61));
      }
      List<String> lines = randomLines(random);
      String at = where(seed, i, lines);
      String response = exchange(request(lines), at);
      Matcher status = STATUS_LINE.matcher(response);
      assertTrue(status.lookingAt(), "no status line: " + shown(response) + "; " + at);
      assertTrue(response.contains("\r\n\r\n"), "no end of headers: " + shown(response) + at);
      int code = Integer.parseInt(status.group(1));
      statuses.merge(code, 1, Integer::sum);
      if (code == 200) {
        assertTrue(String.join("\n", lines).contains(token), "200 without the token; " + at);
      } else {
        assertTrue(code >= 400 && code < 500, code + "; " + at);
      }
      assertFalse(response.contains("Exception"), shown(response) + "; " + at);
    }
    System.out.println("header fuzz: statuses " + statuses);

    // Past the failure and session windows: a 429 now would be the fuzzing's, not the server's.
    clock.advance(Duration.ofMinutes(2));
    assertEquals(200, client.send("GET", "/health", null, null).statusCode());
    assertEquals(200, client.send("GET", "/api/proposals", token, null).statusCode());
  }

  /** One to three header lines, of which one or two are mutated. */
  private static List<String> randomLines(Random random) {
    List<String> lines = new ArrayList<>();
    lines.add("Authorization: Bearer " + token);
    for (int n = random.nextInt(3); n > 0; n--) {
      lines.add(switch (random.nextInt(6)) {
        case 0 -> "X-Forwarded-For: 203.0.113." + random.nextInt(256) + ", 127.0.0.1";
        case 1 -> "Forwarded: for=\"[2001:db8::" + random.nextInt(100) + "]:4711\";proto=https";
        case 2 -> "Accept: application/json";
        case 3 -> "User-Agent: fuzz/1.0";
        case 4 -> "Cookie: device=" + randomText(random, TOKEN_CHARS, 22);
        default -> "Content-Type: application/json; charset=UTF-8";
      });
    }
    for (int m = 1 + random.nextInt(2); m > 0; m--) {
      // The Authorization line is the one mutated most often.
      int which = random.nextInt(3) == 0 ? random.nextInt(lines.size()) : 0;
      String mutated = mutate(random, lines.get(which));
      if (mutated == null) {
        lines.add(lines.get(which));
      } else {
        lines.set(which, mutated);
      }
    }
    return lines;
  }

  /** A mutated copy of {@code line}, or {@code null} to send the line twice. */
  private static String mutate(Random random, String line) {
    int at = random.nextInt(line.length() + 1);
    switch (random.nextInt(9)) {
      case 0: {
        if (line.isEmpty()) {
          return line; // an earlier mutation cut it to nothing: no letter to flip
        }
        char c = line.charAt(Math.min(at, line.length() - 1));
        char flipped = Character.isUpperCase(c) ? Character.toLowerCase(c)
            : Character.toUpperCase(c);
        return line.substring(0, Math.min(at, line.length() - 1)) + flipped
            + line.substring(Math.min(at + 1, line.length()));
      }
      case 1:
      case 2:
        return line.substring(0, at) + randomText(random, HOSTILE, 1 + random.nextInt(3))
            + line.substring(at);
      case 3:
        return line.substring(0, at) + line.substring(Math.min(line.length(),
            at + 1 + random.nextInt(8)));
      case 4:
        return line.substring(0, at);
      case 5:
        return line + randomText(random, TOKEN_CHARS + HOSTILE, 1 + random.nextInt(40));
      case 6:
        return line + randomText(random, TOKEN_CHARS, 8_000 + random.nextInt(12_000));
      case 7:
        return line.replace(token, randomText(random, TOKEN_CHARS, 1 + random.nextInt(80)));
      default:
        return null;
    }
  }

  private static byte[] request(List<String> lines) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("GET /api/proposals HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        .getBytes(StandardCharsets.ISO_8859_1));
    for (String line : lines) {
      out.writeBytes((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  /**
   * Sends raw bytes and reads until the server closes. Silence past the timeout fails, and so
   * does a connection closed with no answer, naming the send's failure if there was one.
   */
  private static String exchange(byte[] request, String at) throws IOException {
    try (Socket socket = sockets.createSocket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      IOException notSent = null;
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The server may answer an oversized header and close before reading it all.
        notSent = e;
      }
      String response =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      if (response.isEmpty()) {
        // A TLS socket reads a close without close_notify as a clean end too, so say which.
        return fail("closed with no answer" + (notSent == null ? ""
            : " (sending failed: " + notSent + ")") + "; " + at);
      }
      return response;
    } catch (SocketTimeoutException e) {
      return fail("no answer within 5 s; " + at, e);
    }
  }

  private static String where(long seed, int request, List<String> lines) {
    return "request " + request + " " + shown(String.join(" | ", lines)) + "; replay with"
        + " -Dfuzz.seed=" + seed;
  }

  private static String shown(String text) {
    String cut = text.length() > 300 ? text.substring(0, 300) + "..." : text;
    StringBuilder out = new StringBuilder();
    for (char c : cut.toCharArray()) {
      out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }

  private static String randomText(Random random, String pool, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(pool.charAt(random.nextInt(pool.length())));
    }
    return out.toString();
  }
}
