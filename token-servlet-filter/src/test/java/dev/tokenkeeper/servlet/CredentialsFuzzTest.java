package dev.tokenkeeper.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.TestSeed;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests of the Authorization header parser ({@link Credentials}) over seeded random
 * requests: random and near-miss headers (schemes in any case, spaces, tabs, controls, Unicode,
 * padding, oversized values), repeated headers, query strings with broken escapes, form bodies.
 * It never throws, answers a single well-formed {@code Bearer} header with exactly its token,
 * holds a {@code TOKEN} only if it meets the b64token grammar, and never prints the token.
 *
 * <p>The request is a small stand-in built with {@link Proxy}: the parser reads only headers,
 * query string, method, content type and parameters. A failure names its seed; rerun with
 * {@code mvn -B -pl token-servlet-filter test -Dtest=CredentialsFuzzTest -Dfuzz.seed=N}.
 */
class CredentialsFuzzTest {

  private static final int CASES_PER_SEED = 3_000;
  private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");
  private static final String TOKEN_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
  private static final String HOSTILE = " \t=,;\"%&\r\n\u0000\u007f\u00e9\u0130\ud83d\u200b";

  static Stream<Long> seeds() {
    return TestSeed.fuzzSeeds(6);
  }

  /** One request as the parser sees it. */
  private record Request(List<String> headers, String query, String method, String contentType,
      List<String> formValues) {

    HttpServletRequest proxy() {
      return (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {HttpServletRequest.class}, (self, method, args) -> {
            switch (method.getName()) {
              case "getHeaders":
                return "Authorization".equalsIgnoreCase((String) args[0])
                    ? Collections.enumeration(headers) : Collections.emptyEnumeration();
              case "getQueryString":
                return query;
              case "getMethod":
                return this.method;
              case "getContentType":
                return contentType;
              case "getParameterValues": {
                // As a container merges them: query parameters first, then the body's.
                List<String> all = new ArrayList<>();
                for (String pair : query == null ? new String[0] : query.split("&", -1)) {
                  if (pair.startsWith(Credentials.PARAMETER + "=")) {
                    all.add(pair.substring(Credentials.PARAMETER.length() + 1));
                  }
                }
                all.addAll(formValues);
                return all.isEmpty() ? null : all.toArray(new String[0]);
              }
              case "toString":
                return "request";
              default:
                throw new UnsupportedOperationException(method.getName());
            }
          });
    }

    @Override
    public String toString() {
      return "headers=" + headers + " query=" + query + " " + method + " " + contentType
          + " form=" + formValues;
    }
  }

  private static String where(long seed, Object input) {
    String shown = String.valueOf(input);
    shown = shown.length() > 200 ? shown.substring(0, 200) + "..." : shown;
    return shown.replace("\u0000", "\\0") + ", " + TestSeed.replay(seed, TestSeed.FUZZ_PROPERTY);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void read_randomRequests_neverThrowAndKeepTheGrammar(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED; i++) {
      Request request = randomRequest(random);
      boolean allowQuery = random.nextBoolean();
      boolean allowForm = random.nextBoolean();
      Credentials credentials;
      try {
        credentials = Credentials.read(request.proxy(), allowQuery, allowForm);
      } catch (RuntimeException e) {
        throw new AssertionError("threw " + e + " for " + where(seed, request), e);
      }
      String at = where(seed, request);
      assertNotNull(credentials.kind(), at);
      switch (credentials.kind()) {
        case TOKEN:
          assertTrue(isB64Token(credentials.token()), at);
          assertNull(credentials.problem(), at);
          break;
        case INVALID_TOKEN:
          assertFalse(isB64Token(credentials.token()), at);
          break;
        case INVALID_REQUEST:
          assertNull(credentials.token(), at);
          assertNotNull(credentials.problem(), at);
          break;
        default:
          assertNull(credentials.token(), at);
      }
      if (request.headers().size() > 1) {
        assertEquals(Credentials.Kind.INVALID_REQUEST, credentials.kind(), at);
      }
      String token = credentials.token();
      if (token != null && token.length() >= 4) {
        assertFalse(credentials.toString().contains(token), "token printed: " + at);
      }
      boolean headerAlone = request.headers().size() == 1
          && (request.query() == null || request.query().isEmpty())
          && (!allowForm || request.formValues().isEmpty());
      if (headerAlone) {
        assertEquals(referenceKind(request.headers().get(0)), credentials.kind(), at);
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void read_oneWellFormedBearerHeaderAlone_yieldsExactlyItsToken(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED; i++) {
      String token = b64token(random, 1 + random.nextInt(Credentials.MAX_TOKEN_LENGTH));
      String scheme = random.nextBoolean() ? "Bearer"
          : randomCase(random, "bearer");
      String header = scheme + " ".repeat(1 + random.nextInt(3)) + token;
      Request request = new Request(List.of(header), null,
          random.nextBoolean() ? "GET" : "POST", null, List.of());
      Credentials credentials =
          Credentials.read(request.proxy(), random.nextBoolean(), random.nextBoolean());
      assertEquals(Credentials.Kind.TOKEN, credentials.kind(), where(seed, request));
      assertEquals(token, credentials.token(), where(seed, request));
      assertEquals(Credentials.Source.HEADER, credentials.source(), where(seed, request));
    }
  }

  /** RFC 6750 section 2.1 read directly: {@code Bearer 1*SP b64token}, scheme in any case. */
  private static Credentials.Kind referenceKind(String header) {
    int end = 0;
    while (end < header.length() && header.charAt(end) != ' ' && header.charAt(end) != '\t') {
      end++;
    }
    if (!header.substring(0, end).toLowerCase(Locale.ROOT).equals("bearer")
        || header.substring(0, end).length() != 6) {
      return Credentials.Kind.NONE;
    }
    String rest = header.substring(end);
    if (!rest.startsWith(" ")) {
      return Credentials.Kind.INVALID_TOKEN;
    }
    return isB64Token(rest.replaceFirst("^ +", "")) ? Credentials.Kind.TOKEN
        : Credentials.Kind.INVALID_TOKEN;
  }

  private static boolean isB64Token(String token) {
    return token != null && token.length() <= Credentials.MAX_TOKEN_LENGTH
        && B64TOKEN.matcher(token).matches();
  }

  private static Request randomRequest(Random random) {
    List<String> headers = new ArrayList<>();
    int count = random.nextInt(10) < 7 ? 1 : random.nextInt(4);
    for (int h = 0; h < count; h++) {
      headers.add(randomHeader(random));
    }
    String query = switch (random.nextInt(5)) {
      case 0 -> null;
      case 1 -> "";
      case 2 -> "access_token=" + randomText(random, TOKEN_CHARS + HOSTILE, random.nextInt(60));
      case 3 -> "a=1&access_token=" + b64token(random, 20) + "&access_token=%zz&%e9=%";
      default -> randomText(random, TOKEN_CHARS + HOSTILE + "access_token", random.nextInt(80));
    };
    String method = List.of("GET", "HEAD", "POST", "PUT", "DELETE").get(random.nextInt(5));
    String contentType = List.of("", "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-Urlencoded; charset=UTF-8", "text/plain", "application/json")
        .get(random.nextInt(5));
    List<String> form = new ArrayList<>();
    for (int f = random.nextInt(3); f > 0; f--) {
      form.add(randomText(random, TOKEN_CHARS + HOSTILE, random.nextInt(40)));
    }
    return new Request(headers, query, method, contentType.isEmpty() ? null : contentType, form);
  }

  private static String randomHeader(Random random) {
    String scheme = switch (random.nextInt(6)) {
      case 0 -> "Basic";
      case 1 -> randomText(random, TOKEN_CHARS + HOSTILE, random.nextInt(10));
      default -> randomCase(random, "Bearer");
    };
    String gap = switch (random.nextInt(5)) {
      case 0 -> "";
      case 1 -> "\t";
      default -> " ".repeat(1 + random.nextInt(3));
    };
    String value = switch (random.nextInt(6)) {
      case 0 -> b64token(random, 1 + random.nextInt(60));
      case 1 -> b64token(random, 1 + random.nextInt(40)) + "=".repeat(random.nextInt(3))
          + (random.nextBoolean() ? "" : randomText(random, TOKEN_CHARS + "=", 3));
      case 2 -> b64token(random, Credentials.MAX_TOKEN_LENGTH - 2 + random.nextInt(5));
      case 3 -> randomText(random, TOKEN_CHARS + HOSTILE, 8_000 + random.nextInt(60_000));
      default -> randomText(random, TOKEN_CHARS + HOSTILE, random.nextInt(80));
    };
    return (random.nextInt(8) == 0 ? " " : "") + scheme + gap + value;
  }

  private static String b64token(Random random, int length) {
    return randomText(random, TOKEN_CHARS, length);
  }

  private static String randomCase(Random random, String word) {
    StringBuilder out = new StringBuilder();
    for (char c : word.toCharArray()) {
      out.append(random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
    }
    return out.toString().toLowerCase(Locale.ROOT).equals(word.toLowerCase(Locale.ROOT))
        ? out.toString() : word;
  }

  private static String randomText(Random random, String pool, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(pool.charAt(random.nextInt(pool.length())));
    }
    return out.toString();
  }
}
