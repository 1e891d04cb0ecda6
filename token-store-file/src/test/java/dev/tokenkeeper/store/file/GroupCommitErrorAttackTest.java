package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An {@link Error} thrown inside the head's file work (an OutOfMemoryError from the batch's
 * buffer or RandomAccessFile.write's native one; an InternalError from the JDK) leaves the batch
 * taken off {@code pending} and unwritten, so every later record number would be off by it. It
 * must latch the failure like an IOException: the head sees the Error itself, everyone waiting
 * or coming later is refused, and nothing is forced again.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupCommitErrorAttackTest {

  @TempDir
  Path tmp;

  private FaultyDisk disk;
  private FailureLatch latch;
  private GroupCommit commit;
  private Path logPath;

  @BeforeEach
  void setUp() throws Exception {
    disk = new FaultyDisk();
    StoreDirectory files = new StoreDirectory(tmp, disk);
    LogWriter log = LogWriter.create(files, 1);
    logPath = log.path();
    latch = new FailureLatch(tmp, LoggerFactory.getLogger(GroupCommitErrorAttackTest.class));
    commit = new GroupCommit(log, latch, new LogTail());
  }

  @AfterEach
  void closeLog() throws Exception {
    commit.release();
  }

  private static ByteBuffer record(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
  }

  private boolean logHolds(String text) throws Exception {
    return new String(Files.readAllBytes(logPath), StandardCharsets.US_ASCII).contains(text);
  }

  @Test
  void anErrorInTheHeadsWrite_latchesTheFailure() {
    long first = commit.enqueue(record("RECORD-A"));
    disk.throwOnNextLogAppend(() -> new OutOfMemoryError("Direct buffer memory (injected)"));
    assertThrows(Error.class, () -> commit.awaitDurable(first));

    assertTrue(latch.isSet(), "a write that failed with an Error left the store writable: "
        + "its batch was dropped from pending and never written");
  }

  @Test
  void aWriterAfterAnErrorInTheHeadsWrite_isRefusedAtOnce() {
    long first = commit.enqueue(record("RECORD-A"));
    disk.throwOnNextLogAppend(() -> new OutOfMemoryError("injected"));
    assertThrows(Error.class, () -> commit.awaitDurable(first));

    assertThrows(StoreUnavailableException.class, () -> commit.enqueue(record("RECORD-B")));
    assertThrows(StoreUnavailableException.class, commit::sync);
  }

  @Test
  void aWriterWaitingForALostRecord_isNeverToldItIsDurable() throws Exception {
    long first = commit.enqueue(record("RECORD-A"));
    disk.throwOnNextLogAppend(() -> new OutOfMemoryError("injected"));
    assertThrows(Error.class, () -> commit.awaitDurable(first));
    int forcesBefore = disk.forces();

    // A revoke that found the session revoked already waits for the record of the revoke that
    // got there first.
    CompletableFuture<Long> waitsForA = OnThread.start("waits-for-A", () -> {
      commit.awaitDurable(first);
      return first;
    });

    ExecutionException refused =
        assertThrows(ExecutionException.class, () -> waitsForA.get(10, TimeUnit.SECONDS));
    assertTrue(refused.getCause() instanceof StoreUnavailableException, refused.toString());
    assertFalse(logHolds("RECORD-A"));
    assertEquals(forcesBefore, disk.forces(), "the log was forced after the Error");
  }

  @Test
  void anErrorInTheHeadsFsync_isNeverFollowedByAnotherFsync() throws Exception {
    long first = commit.enqueue(record("RECORD-A"));
    disk.throwOnNextLogForce(() -> new InternalError("injected fsync error"));
    assertThrows(Error.class, () -> commit.awaitDurable(first));
    int forcesAfterFailure = disk.forces();

    CompletableFuture<Long> waitsForA = OnThread.start("waits-for-A", () -> {
      commit.awaitDurable(first);
      return first;
    });
    try {
      waitsForA.get(10, TimeUnit.SECONDS);
      fail("a writer was told record A is durable after A's fsync failed ("
          + (disk.forces() - forcesAfterFailure) + " more fsync(s) of the log)");
    } catch (ExecutionException e) {
      assertTrue(e.getCause() instanceof StoreUnavailableException, e.toString());
    } catch (TimeoutException e) {
      fail("the writer waiting for A hangs");
    }
    assertThrows(StoreUnavailableException.class, () -> commit.enqueue(record("RECORD-B")));
    assertEquals(forcesAfterFailure, disk.forces(), "the log was forced again");
  }
}
