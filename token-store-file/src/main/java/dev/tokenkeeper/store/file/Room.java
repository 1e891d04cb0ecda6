package dev.tokenkeeper.store.file;

/**
 * The room for growth kept by the index's arrays that are sized to what they hold: the texts, their
 * offsets and the subjects' list heads, as an image loads them and as a trim leaves them. Grown,
 * such an array is copied into one half again or twice as large, all of whose pages are new (on a
 * small virtual machine some 4 ms a MiB), under the index's lock. Sized exactly, they grew at the
 * first create after each open (which is also the open itself when it replays a log's tail), 75
 * to 127 ms at a million sessions; a sixteenth more puts that off for tens of thousands of new texts.
 */
final class Room {

  /** The longest array the JVM is sure to allocate. */
  private static final int MAX_LENGTH = Integer.MAX_VALUE - 8;

  private Room() {}

  /** A length for an array of {@code count} entries, with room for a sixteenth more. */
  static int around(int count) {
    return (int) Math.max(count, Math.min(MAX_LENGTH, count + (long) room(count)));
  }

  /**
   * Whether an array of {@code length} holds {@code count} entries with no more than twice the
   * room {@link #around} keeps: a trim leaves such an array as it is, and copies any other.
   */
  static boolean fits(int length, int count) {
    return length >= count && length <= count + 2L * room(count);
  }

  private static int room(int count) {
    return Math.max(16, count / 16);
  }
}
