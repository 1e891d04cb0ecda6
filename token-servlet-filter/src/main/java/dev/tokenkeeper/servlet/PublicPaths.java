package dev.tokenkeeper.servlet;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Paths that pass through the filter unauthenticated. A path is matched against the request's path
 * within the application ({@code getServletPath() + getPathInfo()}, which the container has
 * decoded and normalised), exactly: {@code /health} opens {@code /health} only, not
 * {@code /health/}, {@code /healthz} or {@code /healthz-admin}. A path ending in {@code /*} opens
 * a subtree: {@code /docs/*} opens {@code /docs} and everything under {@code /docs/}, but not
 * {@code /docsx}.
 *
 * <p>Immutable.
 */
final class PublicPaths {

  static final PublicPaths NONE = new PublicPaths(Set.of(), List.of());

  private final Set<String> exact;
  private final List<String> subtrees;

  private PublicPaths(Set<String> exact, List<String> subtrees) {
    this.exact = exact;
    this.subtrees = subtrees;
  }

  /**
   * Parses configured paths.
   *
   * @throws IllegalArgumentException if a path does not start with {@code /}, holds {@code *}
   *     other than a trailing {@code /*}, holds {@code ?}, {@code #}, {@code ;}, {@code //} or a
   *     {@code .} or {@code ..} segment, or is {@code /*}, which would open every path
   */
  static PublicPaths of(String... paths) {
    Objects.requireNonNull(paths, "publicPaths");
    Set<String> exact = new LinkedHashSet<>();
    List<String> subtrees = new ArrayList<>();
    for (String path : paths) {
      Objects.requireNonNull(path, "publicPaths element");
      if (path.equals("/*")) {
        throw new IllegalArgumentException("public path \"/*\" would open every path");
      }
      boolean subtree = path.endsWith("/*");
      String root = subtree ? path.substring(0, path.length() - 2) : path;
      requireValid(path, root);
      if (subtree) {
        subtrees.add(root);
      } else {
        exact.add(root);
      }
    }
    return new PublicPaths(Set.copyOf(exact), List.copyOf(subtrees));
  }

  /** Whether {@code path}, a path within the application, passes unauthenticated. */
  boolean matches(String path) {
    if (exact.contains(path)) {
      return true;
    }
    for (String root : subtrees) {
      if (path.startsWith(root)
          && (path.length() == root.length() || path.charAt(root.length()) == '/')) {
        return true;
      }
    }
    return false;
  }

  /** Checks {@code root}, a path without its subtree suffix; messages name {@code path}. */
  static void requireValid(String path, String root) {
    if (!root.startsWith("/")) {
      throw new IllegalArgumentException("public path must start with \"/\": " + path);
    }
    for (String forbidden : List.of("*", "?", "#", ";", "//", "\\")) {
      if (root.contains(forbidden)) {
        throw new IllegalArgumentException(
            "public path must not contain \"" + forbidden + "\" (only a trailing \"/*\"): " + path);
      }
    }
    for (String segment : root.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("public path must be normalised: " + path);
      }
    }
    for (int i = 0; i < root.length(); i++) {
      char c = root.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(
            "public path must not contain spaces or control characters: " + path.strip());
      }
    }
  }

  @Override
  public String toString() {
    List<String> all = new ArrayList<>(exact);
    subtrees.forEach(root -> all.add(root + "/*"));
    return all.toString();
  }
}
