package dev.tokenkeeper.bench;

import dev.tokenkeeper.store.file.FileTokenStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The least any open of a {@link FileTokenStore} holding {@code sessions} single-token sessions
 * could cost on this machine: arrays as large as the live index's (a slot of eleven longs a
 * session, two tables of one and a half ints a session, about twelve bytes of text a session),
 * allocated in this fresh JVM and filled by reading a file from the page cache, with no decoding
 * and no checking. Run it in a fresh JVM (one command per figure) on the snapshot of a store
 * {@code open} filled, so its bytes are cached.
 */
final class OpenFloorMeasure {

  private OpenFloorMeasure() {}

  static void run(PrintStream out, Path file, int sessions) throws IOException {
    long start = System.nanoTime();
    long[] slots = new long[Math.multiplyExact(sessions, 11)];
    int[] byId = new int[sessions + sessions / 2];
    int[] byDigest = new int[sessions + sessions / 2];
    byte[] texts = new byte[Math.multiplyExact(sessions, 12)];
    byte[] window = new byte[1 << 20];
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      fill(in, window, ByteBuffer.wrap(window), slots, byId, byDigest, texts);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    long bytes = 8L * slots.length + 4L * byId.length + 4L * byDigest.length + texts.length;
    out.printf(Locale.ROOT, "open floor: %,d sessions, %,d MB of arrays allocated and read in %d ms"
        + "%n", sessions, bytes >> 20, millis);
  }

  /** Fills the arrays in turn from {@code in}, starting over at its end as often as needed. */
  private static void fill(RandomAccessFile in, byte[] window, ByteBuffer view, long[] slots,
      int[] byId, int[] byDigest, byte[] texts) throws IOException {
    int longs = 0;
    int ids = 0;
    int digests = 0;
    int text = 0;
    while (text < texts.length) {
      int read = in.read(window);
      if (read <= 0) {
        in.seek(0);
        continue;
      }
      view.clear().limit(read - read % 8);
      if (longs < slots.length) {
        int n = Math.min(view.remaining() / 8, slots.length - longs);
        view.asLongBuffer().get(slots, longs, n);
        longs += n;
      } else if (ids < byId.length) {
        int n = Math.min(view.remaining() / 4, byId.length - ids);
        view.asIntBuffer().get(byId, ids, n);
        ids += n;
      } else if (digests < byDigest.length) {
        int n = Math.min(view.remaining() / 4, byDigest.length - digests);
        view.asIntBuffer().get(byDigest, digests, n);
        digests += n;
      } else {
        int n = Math.min(view.remaining(), texts.length - text);
        view.get(texts, text, n);
        text += n;
      }
    }
  }
}
