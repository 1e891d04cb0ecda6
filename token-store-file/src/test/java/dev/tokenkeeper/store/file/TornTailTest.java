package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/**
 * Bytes no fsync covered are dropped on open (the log is then replaced, never appended to);
 * damage anywhere else is reported, never skipped.
 */
class TornTailTest {

  private static final int RECORDS = 6;

  @TempDir
  Path tmp;

  private static final byte MARK = 11;

  private final List<Issued> records = new ArrayList<>();
  private byte[] log;
  /** Offset where each record's frame starts (marks left out), and the end of the last one. */
  private final List<Integer> frames = new ArrayList<>();
  /** Offset where each record's frame ends. */
  private final List<Integer> ends = new ArrayList<>();

  @BeforeEach
  void writeStore() throws IOException {
    Path dir = tmp.resolve("original");
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (int i = 0; i < RECORDS; i++) {
        records.add(Issued.create(store, "user" + i));
      }
    }
    log = Files.readAllBytes(dir.resolve("log-0000000001"));
    ByteBuffer view = ByteBuffer.wrap(log);
    int end = 0;
    for (int pos = Frames.HEADER; pos < log.length; pos += Frames.HEADER + view.getInt(pos)) {
      if (log[pos + Frames.HEADER] != MARK) {
        frames.add(pos);
        end = pos + Frames.HEADER + view.getInt(pos);
        ends.add(end);
      }
    }
    frames.add(end);
    assertEquals(RECORDS + 1, frames.size());
    assertTrue(end < log.length, "a clean close ends the log with a mark");
  }

  /** Whether the open replaced the log (a snapshot and a fresh log) instead of appending. */
  private static boolean replaced(Path dir) {
    return !Files.exists(dir.resolve("log-0000000001"))
        && Files.exists(dir.resolve("snapshot-0000000002"))
        && Files.exists(dir.resolve("log-0000000002"));
  }

  private Path storeWithLog(String name, byte[] content) throws IOException {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    Files.write(dir.resolve("log-0000000001"), content);
    return dir;
  }

  private int recordsFound(Path dir, boolean recover) {
    // Durability is not under test here, and skipping fsync keeps hundreds of opens fast.
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).recoverDamaged(recover)
        .disk(new FaultyDisk().skipForces()).build()) {
      int found = 0;
      for (Issued issued : records) {
        if (store.find(issued.hash()).isPresent()) {
          assertEquals(issued.session(), issued.in(store).orElseThrow());
          found++;
        }
      }
      return found;
    }
  }

  @Test
  void open_newestLogCutAtEveryByteOfItsLastRecords_keepsExactlyTheRecordsBeforeTheCut()
      throws IOException {
    int firstCut = frames.get(RECORDS - 2);
    for (int cut = firstCut; cut <= log.length; cut++) {
      Path dir = storeWithLog("cut-" + cut, Arrays.copyOf(log, cut));
      int whole = 0;
      while (whole < RECORDS && ends.get(whole) <= cut) {
        whole++;
      }
      assertEquals(whole, recordsFound(dir, false), "cut at " + cut);
      assertEquals(cut < log.length, replaced(dir), "cut at " + cut);
    }
  }

  @Test
  void open_zerosAfterTheLastRecord_areCutOffWithOneWarning() throws IOException {
    byte[] padded = Arrays.copyOf(log, log.length + 4096);
    Path dir = storeWithLog("zeros", padded);
    assertEquals(RECORDS, recordsFound(dir, false));
    assertTrue(replaced(dir));
    List<String> warnings = CapturedLogs.texts(Level.WARN, dir.toString()).stream()
        .filter(line -> line.contains("torn tail")).toList();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("offset " + log.length), warnings.get(0));
  }

  @Test
  void open_randomBytesAfterTheLastRecord_areCutOff() throws IOException {
    Random random = new Random(42);
    for (int length : new int[] {1, 7, 8, 100, 3000}) {
      byte[] garbage = new byte[length];
      random.nextBytes(garbage);
      byte[] content = Arrays.copyOf(log, log.length + length);
      System.arraycopy(garbage, 0, content, log.length, length);
      Path dir = storeWithLog("garbage-" + length, content);
      assertEquals(RECORDS, recordsFound(dir, false), "garbage of " + length);
      assertTrue(replaced(dir), "garbage of " + length);
    }
  }

  @Test
  void open_flippedBitInAMiddleRecord_failsNamingFileAndOffset_andLeavesTheFile()
      throws IOException {
    for (int bit : new int[] {0, 13, 8 * 9 + 2}) { // the length field, the CRC, the body
      byte[] damaged = log.clone();
      int frame = frames.get(2);
      damaged[frame + bit / 8] ^= (byte) (1 << (bit % 8));
      Path dir = storeWithLog("flip-" + bit, damaged);
      StoreCorruptedException e =
          assertThrows(StoreCorruptedException.class, () -> recordsFound(dir, false));
      assertEquals(dir.resolve("log-0000000001").toRealPath().toString(), e.file());
      assertEquals((long) frame, e.offset());
      assertTrue(e.getMessage().contains("recoverDamaged"), e.getMessage());
      assertArrayEquals(damaged, Files.readAllBytes(dir.resolve("log-0000000001")));
    }
  }

  @Test
  void open_damagedWithRecoverDamaged_movesTheFileAsideAndKeepsWhatWasReadable()
      throws IOException {
    byte[] damaged = log.clone();
    damaged[frames.get(3) + 20] ^= 1;
    Path dir = storeWithLog("recover", damaged);
    assertEquals(3, recordsFound(dir, true));
    assertArrayEquals(damaged, Files.readAllBytes(dir.resolve("log-0000000001.damaged")));
    assertEquals(3, recordsFound(dir, false), "recovered store opens normally afterwards");
  }

  @Test
  void open_damagedSnapshot_isReportedEvenAtItsEnd() throws IOException {
    Path dir = tmp.resolve("original");
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      store.compact();
    }
    Path snapshot = dir.resolve("snapshot-0000000002");
    byte[] bytes = Files.readAllBytes(snapshot);
    Files.write(snapshot, Arrays.copyOf(bytes, bytes.length - 3));
    StoreCorruptedException e =
        assertThrows(StoreCorruptedException.class, () -> FileTokenStore.open(dir));
    assertTrue(e.file().endsWith("snapshot-0000000002"), e.file());
  }
}
