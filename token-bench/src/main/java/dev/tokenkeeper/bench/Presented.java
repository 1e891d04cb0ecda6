package dev.tokenkeeper.bench;

/**
 * Tokens to present, a new string for each call, copied from one buffer that is walked in
 * order, as an HTTP parser copies a header it has just read: reading the token then costs a
 * benchmark what it costs a request. Tens of thousands of strings kept in an array and walked
 * shuffled would each cost two cache misses (the string, then its bytes) that no request pays,
 * and more the more tokens a side presents.
 */
final class Presented {

  private final String joined;
  private final int[] starts;

  private Presented(String joined, int[] starts) {
    this.joined = joined;
    this.starts = starts;
  }

  static Presented of(String[] tokens) {
    int[] starts = new int[tokens.length + 1];
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < tokens.length; i++) {
      joined.append(tokens[i]);
      starts[i + 1] = joined.length();
    }
    return new Presented(joined.toString(), starts);
  }

  int size() {
    return starts.length - 1;
  }

  /** A new copy of token {@code index}. */
  String copy(int index) {
    return joined.substring(starts[index], starts[index + 1]);
  }
}
