package dev.tokenkeeper.store.jdbc;

/**
 * Which subjects a {@code text} column can hold exactly. PostgreSQL refuses a NUL character, and
 * the driver writes an unpaired surrogate as {@code '?'}, which would make two subjects one. No
 * stored session has such a subject ({@code Session} refuses control characters and unpaired
 * surrogates), so a lookup by one finds nothing without asking the database.
 */
final class Subjects {

  private Subjects() {}

  static boolean storable(String subject) {
    for (int i = 0; i < subject.length(); i++) {
      char c = subject.charAt(i);
      if (c == '\u0000') {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == subject.length() || !Character.isLowSurrogate(subject.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
