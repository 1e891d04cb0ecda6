package dev.tokenkeeper.demo;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a browser keeps of the demo's {@code Set-Cookie} answers, for tests over a plain HTTP
 * client: a cookie by name with its path, replaced by a newer one, deleted by {@code Max-Age=0},
 * and sent only to paths within its own. Real browsers are driven by {@code DemoBrowserIT}.
 */
final class CookieJar {

  private record Stored(String value, String path) {}

  private final Map<String, Stored> cookies = new LinkedHashMap<>();

  /** Keeps the cookies {@code response} sets; returns it. */
  <T> HttpResponse<T> absorb(HttpResponse<T> response) {
    for (String header : response.headers().allValues("Set-Cookie")) {
      String[] parts = header.split(";");
      String name = parts[0].substring(0, parts[0].indexOf('=')).strip();
      String value = parts[0].substring(parts[0].indexOf('=') + 1).strip();
      String path = "/";
      boolean expired = false;
      for (int i = 1; i < parts.length; i++) {
        String attribute = parts[i].strip().toLowerCase(Locale.ROOT);
        if (attribute.startsWith("path=")) {
          path = parts[i].strip().substring(5);
        } else if (attribute.equals("max-age=0")) {
          expired = true;
        }
      }
      if (expired) {
        cookies.remove(name);
      } else {
        cookies.put(name, new Stored(value, path));
      }
    }
    return response;
  }

  /** The {@code Cookie} header a browser sends to {@code path}, or {@code ""}. */
  String header(String path) {
    return cookies.entrySet().stream()
        .filter(e -> path.equals(e.getValue().path()) || path.startsWith(e.getValue().path()
            + (e.getValue().path().endsWith("/") ? "" : "/")))
        .map(e -> e.getKey() + "=" + e.getValue().value())
        .collect(Collectors.joining("; "));
  }

  /** The value of {@code name}, or {@code null}. */
  String value(String name) {
    Stored stored = cookies.get(name);
    return stored == null ? null : stored.value();
  }

  /** Forgets {@code name}, as a browser does when its {@code Max-Age} runs out. */
  void expire(String name) {
    cookies.remove(name);
  }
}
