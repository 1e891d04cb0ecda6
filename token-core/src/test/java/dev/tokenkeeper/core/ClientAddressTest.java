package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Client#parseAddress}: literals only, and never the system resolver. */
class ClientAddressTest {

  /** Digit-and-dot text that is no address; a hosts file in the probe gives each one an answer. */
  private static final List<String> NOT_LITERALS =
      List.of("999.1.1.1", "1.2.3.4.5", "256.0.0.1", "1.2.3", "01.2.3.4");

  @ParameterizedTest
  @ValueSource(strings = {"999.1.1.1", "1.2.3.4.5", "1.2.3", "256.0.0.1", "01.2.3.4", "1..2.3",
      ".1.2.3", "1.2.3.", "localhost", "example.com", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::",
      "1::2:", "12345::", "fe80::1%eth0", "[::1]", "::1:", "1:2:3:4:5:6:7::8:9", "::1.2.3",
      "1:2:3:4:5:6:7:1.2.3.4", "\uff11.2.3.4", "1.2.3.\u0664", "", " 1.2.3.4", "g::1"})
  void parseAddress_notALiteral_isNull(String text) {
    assertNull(Client.parseAddress(text), text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.2.3.4", "0.0.0.0", "255.255.255.255", "::", "::1", "1::",
      "2001:db8::7", "2001:DB8:0:0:0:0:0:7", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6::8", "::ffff:1.2.3.4",
      "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "fe80::"})
  void parseAddress_literal_matchesTheJdk(String text) throws IOException {
    // The JDK reads these as literals without a lookup, so it can serve as the reference here.
    assertEquals(InetAddress.getByName(text), Client.parseAddress(text), text);
  }

  @Test
  void parseAddress_randomAddressesInEveryNotation_roundTrip() throws IOException {
    long seed = TestSeed.of("ClientAddressTest");
    Random random = new Random(seed);
    for (int i = 0; i < 5_000; i++) {
      byte[] bytes = new byte[random.nextBoolean() ? 4 : 16];
      random.nextBytes(bytes);
      if (bytes.length == 16 && random.nextBoolean()) {
        int from = random.nextInt(16);
        java.util.Arrays.fill(bytes, from, from + random.nextInt(17 - from), (byte) 0);
      }
      InetAddress expected = InetAddress.getByAddress(bytes);
      for (String text : notations(bytes)) {
        assertEquals(expected, Client.parseAddress(text), text + ", " + TestSeed.replay(seed));
      }
    }
  }

  /** This test's classes for a child JVM, whether the tests run on the class or module path. */
  private static String testClassPath() {
    String modules = System.getProperty("jdk.module.path", "");
    String classes = System.getProperty("java.class.path", "");
    return modules.isEmpty() ? classes
        : classes.isEmpty() ? modules : modules + java.io.File.pathSeparator + classes;
  }

  @Test
  void parseAddress_digitsAndDots_neverReachTheResolver(@TempDir Path dir) throws Exception {
    Path hosts = dir.resolve("hosts");
    StringBuilder entries = new StringBuilder();
    for (String name : NOT_LITERALS) {
      entries.append("10.9.9.9 ").append(name).append('\n');
    }
    Files.writeString(hosts, entries);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Djdk.net.hosts.file=" + hosts,
        "-cp", testClassPath(), Probe.class.getName()));
    command.addAll(NOT_LITERALS);
    Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "probe did not finish");
    for (String name : NOT_LITERALS) {
      // The resolver answers these from the hosts file (or not at all, for leading zeros);
      // parseAddress must not have asked it.
      assertTrue(output.contains(name + " parseAddress=null\n"), output);
    }
    assertTrue(output.contains("999.1.1.1 resolver=10.9.9.9\n"),
        "the probe's hosts file must be in force, or this test proves nothing: " + output);
  }

  /** Runs in a JVM whose resolver reads only the test's hosts file. */
  static final class Probe {
    public static void main(String[] args) {
      for (String name : args) {
        InetAddress parsed = Client.parseAddress(name);
        System.out.print(name + " parseAddress="
            + (parsed == null ? "null" : parsed.getHostAddress()) + "\n");
        try {
          System.out.print(name + " resolver="
              + InetAddress.getByName(name).getHostAddress() + "\n");
        } catch (IOException | RuntimeException e) {
          System.out.print(name + " resolver=" + e.getClass().getSimpleName() + "\n");
        }
      }
    }
  }

  private static List<String> notations(byte[] bytes) throws IOException {
    InetAddress address = InetAddress.getByAddress(bytes);
    List<String> out = new ArrayList<>();
    out.add(address.getHostAddress());
    if (bytes.length == 16) {
      int[] groups = new int[8];
      for (int g = 0; g < 8; g++) {
        groups[g] = ((bytes[2 * g] & 0xff) << 8) | (bytes[2 * g + 1] & 0xff);
      }
      out.add(compressed(groups).toUpperCase(Locale.ROOT));
      out.add(compressed(groups));
      StringBuilder mixed = new StringBuilder();
      for (int g = 0; g < 6; g++) {
        mixed.append(Integer.toHexString(groups[g])).append(':');
      }
      mixed.append(bytes[12] & 0xff).append('.').append(bytes[13] & 0xff).append('.')
          .append(bytes[14] & 0xff).append('.').append(bytes[15] & 0xff);
      out.add(mixed.toString());
    }
    return out;
  }

  /** RFC 5952 text: the longest run of two or more zero groups becomes {@code ::}. */
  private static String compressed(int[] groups) {
    int bestStart = -1;
    int bestLength = 1;
    for (int g = 0; g < 8; ) {
      int end = g;
      while (end < 8 && groups[end] == 0) {
        end++;
      }
      if (end - g > bestLength) {
        bestStart = g;
        bestLength = end - g;
      }
      g = end == g ? g + 1 : end;
    }
    StringBuilder text = new StringBuilder();
    for (int g = 0; g < 8; g++) {
      if (g == bestStart) {
        text.append("::");
        g += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(groups[g]));
    }
    return text.toString();
  }

  @Test
  void parseAddress_ipv4Mapped_isTheIpv4Address() {
    assertArrayEquals(new byte[] {1, 2, 3, 4},
        Client.parseAddress("::ffff:1.2.3.4").getAddress());
  }
}
