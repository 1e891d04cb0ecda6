package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.store.file.Durability;
import dev.tokenkeeper.store.file.FileStoreStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Login: issue one token. Tokenkeeper's {@link dev.tokenkeeper.core.TokenService#issue} on a
 * {@link dev.tokenkeeper.store.file.FileTokenStore} per {@link Durability} mode and number of
 * live tokens, and in {@code SYNC} mode with 4 and 16 threads (group commit); beside it the
 * origin's whole-file JSON rewrite ({@link OriginScheme}) and the disk's own floor, 120 bytes
 * appended and forced per record and per batch of 64. Results are tokens (records) per second
 * summed over threads.
 *
 * <p>Tokens a Tokenkeeper benchmark issues are deleted after each iteration, so every iteration
 * starts at {@code liveTokens}; within an iteration the count grows by what it issues.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class IssueBenchmark {

  /**
   * A filled store in one durability mode. What the benchmark issues stays (a store forgets a
   * session only once it expires), so the live count grows by the logins of a run: a few
   * hundred thousand at most, beside the million the largest store starts with.
   */
  public abstract static class IssueStore {
    Fixtures.Filled filled;
    final AtomicLong logins = new AtomicLong();

    void open(int liveTokens, Durability durability) {
      filled = Fixtures.filled("issue", liveTokens, durability);
    }

    IssuedToken issue() {
      return filled.tokens()
          .issue(Fixtures.subject(logins.getAndIncrement() & 0xFFFF), Fixtures.LABEL);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      FileStoreStats stats = filled.store().stats();
      if (stats.fsyncs() > 0) {
        System.out.printf(java.util.Locale.ROOT, "%nstore: %.1f records per fsync (%,d fsyncs, "
            + "mean %.0f µs)%n", stats.recordsPerFsync(), stats.fsyncs(),
            stats.fsyncNanosTotal() / 1e3 / stats.fsyncs());
      }
      filled.close();
    }
  }

  /** One writer, by durability mode and live-token count. */
  @State(Scope.Benchmark)
  public static class Sized extends IssueStore {
    @Param({"1000", "100000", "1000000"})
    int liveTokens;

    @Param({"SYNC", "NONE"})
    Durability durability;

    @Setup(Level.Trial)
    public void setUp() {
      open(liveTokens, durability);
    }
  }

  /** SYNC with 1,000 live tokens, for many writers. */
  @State(Scope.Benchmark)
  public static class Sync extends IssueStore {
    @Setup(Level.Trial)
    public void setUp() {
      open(1000, Durability.SYNC);
    }
  }

  /** INTERVAL (forced every 100 ms, the default) with 1,000 live tokens. */
  @State(Scope.Benchmark)
  public static class Interval extends IssueStore {
    @Setup(Level.Trial)
    public void setUp() {
      open(1000, Durability.INTERVAL);
    }
  }

  /** The origin's scheme holding {@code liveTokens} raw tokens. */
  @State(Scope.Benchmark)
  public static class Origin {
    @Param({"1000", "10000", "100000"})
    int liveTokens;

    Path directory;
    OriginScheme scheme;
    long logins;

    @Setup(Level.Trial)
    public void setUp() {
      directory = Fixtures.tempDirectory("origin");
      scheme = new OriginScheme(directory.resolve("auth_tokens.json"), liveTokens);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      Fixtures.delete(directory);
    }
  }

  /** A log file taking 120-byte records, the size of one issue record. */
  @State(Scope.Thread)
  public static class Disk {
    static final int RECORD = 120;
    static final int BATCH = 64;

    Path directory;
    FileChannel log;
    final ByteBuffer record = ByteBuffer.allocateDirect(RECORD);
    final ByteBuffer batch = ByteBuffer.allocateDirect(RECORD * BATCH);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      directory = Fixtures.tempDirectory("disk");
      log = FileChannel.open(directory.resolve("floor.log"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      while (record.hasRemaining()) {
        record.put((byte) 'r');
      }
      while (batch.hasRemaining()) {
        batch.put((byte) 'b');
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      log.close();
      Fixtures.delete(directory);
    }
  }

  @Benchmark
  @Threads(1)
  public IssuedToken tokenkeeper(Sized store) {
    return store.issue();
  }

  @Benchmark
  @Threads(4)
  public IssuedToken tokenkeeperSync4Threads(Sync store) {
    return store.issue();
  }

  @Benchmark
  @Threads(16)
  public IssuedToken tokenkeeperSync16Threads(Sync store) {
    return store.issue();
  }

  @Benchmark
  @Threads(1)
  public IssuedToken tokenkeeperInterval(Interval store) {
    return store.issue();
  }

  @Benchmark
  @Threads(1)
  public String origin(Origin origin) throws IOException {
    return origin.scheme.generateToken(Fixtures.subject(origin.logins++ & 0xFFFF));
  }

  /** The floor of one fsync per record: what SYNC costs without group commit. */
  @Benchmark
  @Threads(1)
  public void diskForcePerRecord(Disk disk) throws IOException {
    disk.record.rewind();
    while (disk.record.hasRemaining()) {
      disk.log.write(disk.record);
    }
    disk.log.force(false);
  }

  /** The floor of group commit: 64 records written together and forced once. */
  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(Disk.BATCH)
  public void diskForcePerBatch64(Disk disk) throws IOException {
    disk.batch.rewind();
    while (disk.batch.hasRemaining()) {
      disk.log.write(disk.batch);
    }
    disk.log.force(false);
  }
}
