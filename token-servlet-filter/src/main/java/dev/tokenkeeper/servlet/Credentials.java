package dev.tokenkeeper.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;

/**
 * What one request presents as a bearer token, read as RFC 6750 section 2 says.
 *
 * <ul>
 *   <li><b>Header</b> (2.1): {@code Authorization: Bearer 1*SP b64token}. The scheme is matched
 *       without regard to case; another scheme ({@code Basic}) is no bearer credential at all. A
 *       Bearer header whose rest breaks the b64token grammar (a tab, an empty token, a space
 *       inside, {@code =} anywhere but the end) is an invalid token. More than one
 *       {@code Authorization} header is an invalid request, whatever the schemes.
 *   <li><b>Query</b> (2.3): {@code access_token} in the query string, used only when allowed.
 *       It is looked for even when not allowed: together with a Bearer header it makes the request
 *       invalid (two methods at once), and alone it is ignored, so the request is unauthenticated.
 *   <li><b>Form body</b> (2.2): {@code access_token} in an
 *       {@code application/x-www-form-urlencoded} body of a request other than GET or HEAD, read
 *       only when allowed, since reading it consumes the body. When not allowed the body is not
 *       touched and so not looked at.
 * </ul>
 *
 * <p>The access cookie ({@link TokenCookies}), when the filter reads one, counts only when the
 * request sends no token by any of these: a Bearer request is never changed by a cookie.
 *
 * <p>Once a token comes by a usable method, any other token in the request (by another method,
 * allowed or not, or a second value of the same parameter) makes it an invalid request. Tokens
 * longer than {@link #MAX_TOKEN_LENGTH} break the grammar.
 *
 * <p><b>Secrecy.</b> Holds the presented token; {@link #toString()} omits it.
 */
final class Credentials {

  /** The longest token read; a token-core token is 52 characters. */
  static final int MAX_TOKEN_LENGTH = 1024;

  static final String PARAMETER = "access_token";

  enum Kind {
    /** No bearer credential: no header, another scheme, or a parameter not allowed. */
    NONE,
    /** One token, grammatically valid; {@link #token()} holds it. */
    TOKEN,
    /** A Bearer credential that breaks the b64token grammar; {@link #token()} holds it. */
    INVALID_TOKEN,
    /** More than one token, or a header repeated; {@link #problem()} says which. */
    INVALID_REQUEST
  }

  /** Where a token came from. */
  enum Source {
    HEADER,
    QUERY,
    FORM,
    /** The access cookie of {@link TokenCookies}, read only when nothing else was sent. */
    COOKIE
  }

  private static final Credentials NONE = new Credentials(Kind.NONE, null, null, null);

  private final Kind kind;
  private final String token;
  private final Source source;
  private final String problem;

  private Credentials(Kind kind, String token, Source source, String problem) {
    this.kind = kind;
    this.token = token;
    this.source = source;
    this.problem = problem;
  }

  Kind kind() {
    return kind;
  }

  /** The presented token for {@link Kind#TOKEN} and {@link Kind#INVALID_TOKEN}. Never log it. */
  String token() {
    return token;
  }

  Source source() {
    return source;
  }

  /** Why the request is invalid, for {@link Kind#INVALID_REQUEST}: fixed text, no input. */
  String problem() {
    return problem;
  }

  /** Reads the credentials of {@code request}; see the class comment for the rules. */
  static Credentials read(HttpServletRequest request, boolean allowQuery, boolean allowForm) {
    List<String> headers = list(request.getHeaders("Authorization"));
    if (headers.size() > 1) {
      return invalidRequest("more than one Authorization header");
    }
    String headerToken = headers.isEmpty() ? null : bearerToken(headers.get(0));
    List<String> queryTokens = queryValues(request.getQueryString());
    List<String> formTokens = allowForm ? formValues(request, queryTokens) : List.of();

    boolean header = headerToken != null;
    int usable = (header ? 1 : 0) + (allowQuery ? queryTokens.size() : 0) + formTokens.size();
    if (usable == 0) {
      // A token only where it is not allowed: unauthenticated, never authenticated.
      return NONE;
    }
    int methods =
        (header ? 1 : 0) + (queryTokens.isEmpty() ? 0 : 1) + (formTokens.isEmpty() ? 0 : 1);
    if (methods > 1) {
      return invalidRequest("more than one method used to send the access token");
    }
    if (header) {
      return of(headerToken, Source.HEADER);
    }
    List<String> presented = queryTokens.isEmpty() ? formTokens : queryTokens;
    if (presented.size() > 1) {
      return invalidRequest("more than one access token");
    }
    return of(presented.get(0), queryTokens.isEmpty() ? Source.FORM : Source.QUERY);
  }

  /**
   * The credentials in the access cookie's {@code values}: none, one token, or an invalid
   * request for several (a browser sends one {@code __Host-} cookie of a name; more is forged or
   * ambiguous).
   */
  static Credentials fromCookie(List<String> values) {
    if (values.isEmpty()) {
      return NONE;
    }
    if (values.size() > 1) {
      return invalidRequest("more than one access cookie");
    }
    return of(values.get(0), Source.COOKIE);
  }

  /**
   * Whether {@code token} is an RFC 6750 b64token:
   * {@code 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}, at most
   * {@link #MAX_TOKEN_LENGTH} characters.
   */
  static boolean isB64Token(String token) {
    int length = token.length();
    if (length == 0 || length > MAX_TOKEN_LENGTH) {
      return false;
    }
    int i = 0;
    while (i < length && isB64Char(token.charAt(i))) {
      i++;
    }
    if (i == 0) {
      return false;
    }
    while (i < length && token.charAt(i) == '=') {
      i++;
    }
    return i == length;
  }

  private static boolean isB64Char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  }

  private static Credentials of(String token, Source source) {
    Kind kind = isB64Token(token) ? Kind.TOKEN : Kind.INVALID_TOKEN;
    return new Credentials(kind, token, source, null);
  }

  private static Credentials invalidRequest(String problem) {
    return new Credentials(Kind.INVALID_REQUEST, null, null, problem);
  }

  /**
   * The text after {@code Bearer} and its spaces, or {@code null} for another scheme. The scheme
   * ends at the first space or tab; what follows must be spaces and then the token, so
   * {@code "Bearer\tabc"} yields {@code "\tabc"}, which then fails the grammar.
   */
  private static String bearerToken(String header) {
    int end = 0;
    while (end < header.length() && header.charAt(end) != ' ' && header.charAt(end) != '\t') {
      end++;
    }
    if (!header.substring(0, end).equalsIgnoreCase("Bearer")) {
      return null;
    }
    int start = end;
    while (start < header.length() && header.charAt(start) == ' ') {
      start++;
    }
    // No space after the scheme: the rest (empty, or starting with a tab) fails the grammar.
    return start == end ? header.substring(end) : header.substring(start);
  }

  private static List<String> queryValues(String query) {
    if (query == null || query.isEmpty()) {
      return List.of();
    }
    List<String> values = new ArrayList<>(1);
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      if (name.equals(PARAMETER)) {
        values.add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
      }
    }
    return values;
  }

  /** Body values: all {@code access_token} parameters less those the query string holds. */
  private static List<String> formValues(HttpServletRequest request, List<String> queryTokens) {
    String method = request.getMethod();
    if ("GET".equals(method) || "HEAD".equals(method) || !isFormContent(request.getContentType())) {
      return List.of();
    }
    String[] all = request.getParameterValues(PARAMETER);
    if (all == null) {
      return List.of();
    }
    List<String> body = new ArrayList<>(List.of(all));
    for (String inQuery : queryTokens) {
      body.remove(inQuery);
    }
    return body;
  }

  private static boolean isFormContent(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String mediaType = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return mediaType.strip().toLowerCase(Locale.ROOT).equals("application/x-www-form-urlencoded");
  }

  /** Form-urlencoded decoding; text that does not decode stays as it is and fails the grammar. */
  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text;
    }
  }

  private static List<String> list(Enumeration<String> values) {
    return values == null ? List.of() : Collections.list(values);
  }

  @Override
  public String toString() {
    return "Credentials[" + kind + (source == null ? "" : ", " + source) + "]";
  }
}
