package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The offline tool for a {@link FileTokenStore} directory, as Redis ships
 * {@code redis-check-aof}: check a store, count what it holds, compact it, or repair it after
 * damage. It refuses to run on a directory that a process (or a store in this JVM) has open.
 *
 * <pre>{@code
 * java -cp token-store-file.jar:token-core.jar:jackson-databind.jar:...:slf4j-api.jar \
 *     dev.tokenkeeper.store.file.StoreTool check /var/lib/myapp/tokens
 * }</pre>
 *
 * <ul>
 *   <li>{@code check DIR} reads every record as an open would, changing nothing, and reports each
 *       torn tail and damage with file and byte offset. Exit status 0 clean, 1 a torn
 *       tail only (an open cuts it off by itself), 2 damage (an open refuses; run {@code repair}).
 *   <li>{@code stats DIR} prints live, expired and revoked session counts, tokens and rotated
 *       tombstones, records, files and sizes.
 *   <li>{@code compact DIR} rewrites the store as one snapshot: expired sessions are forgotten,
 *       revoked ones and rotated tokens kept until their session expires.
 * </ul>
 *
 * <p>{@code check} and {@code stats} read a store of either format and change nothing; a format 1
 * store (an earlier release's) is reported as format 1 and counted as it will be once upgraded.
 * {@code compact} and {@code repair} open the store, which upgrades it to format 2 in place.
 *
 * <ul>
 *   <li>{@code repair DIR} cuts off a torn tail, or moves each damaged file aside to
 *       {@code NAME.damaged}, keeping every record before the damage, and prints exactly what it
 *       dropped: the byte range, and each record after the damage that still passes its checksum
 *       (by type and token fingerprint). Those records are reported, never applied: a record found
 *       by searching damaged bytes could be a forgery planted in a username.
 * </ul>
 *
 * <p>Every command exits 3 if the store is open elsewhere, 4 on an I/O error or a directory
 * holding no store, and 64 on bad arguments. Output names
 * tokens by fingerprint at most. Not for use while the store runs; one command at a time.
 */
public final class StoreTool {

  static final int OK = 0;
  static final int TORN_TAIL = 1;
  static final int DAMAGED = 2;
  static final int IN_USE = 3;
  static final int FAILED = 4;
  static final int USAGE = 64;

  private static final String HELP = "usage: StoreTool check|stats|compact|repair DIR";

  private final PrintStream out;
  private final Clock clock;

  private StoreTool(PrintStream out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  /**
   * Runs one command and exits with its status.
   *
   * @param args {@code check|stats|compact|repair DIR}
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, Clock.systemDefaultZone()));
  }

  /** Runs one command; returns the exit status. {@code clock} decides what has expired. */
  static int run(String[] args, PrintStream out, PrintStream err, Clock clock) {
    if (args.length != 2 || !List.of("check", "stats", "compact", "repair").contains(args[0])) {
      err.println(HELP);
      return USAGE;
    }
    Path dir = Path.of(args[1]).toAbsolutePath().normalize();
    StoreTool tool = new StoreTool(out, clock);
    try {
      if (!Files.isDirectory(dir)) {
        return noStore(err, dir);
      }
      Map<Path, Path> renames = new StoreDirectory(dir, ReadOnlyDisk.INSTANCE).localeDigitNames();
      // Compact and repair open the store, which renames them.
      if (!renames.isEmpty() && List.of("check", "stats").contains(args[0])) {
        err.println("the token store in " + dir + " has files an earlier release named in "
            + "another script's digits (" + renames.keySet().iterator().next().getFileName()
            + "), which " + args[0] + " reads once the store's next open has renamed them ("
            + String.join(", ", renames.values().stream()
                .map(name -> name.getFileName().toString()).toList()) + ")");
        return FAILED;
      }
      if (renames.isEmpty() && !tool.holdsStore(dir)) {
        return noStore(err, dir);
      }
      // On a store thread: the lock and the reads go through FileChannels, which an interrupt
      // of this thread would close under them.
      return StoreThreads.run("tokenkeeper-store-tool", () -> tool.command(args[0], dir),
          IOException.class);
    } catch (StoreLockedException e) {
      err.println(e.getMessage());
      return IN_USE;
    } catch (StoreCorruptedException e) {
      err.println(e.getMessage());
      return DAMAGED;
    } catch (IOException | StoreUnavailableException e) {
      err.println(args[0] + " failed: " + e.getMessage());
      return FAILED;
    }
  }

  private int command(String command, Path dir) throws IOException {
    switch (command) {
      case "check":
        return check(dir);
      case "stats":
        return stats(dir);
      case "compact":
        return compact(dir);
      default:
        return repair(dir);
    }
  }

  private static int noStore(PrintStream err, Path dir) {
    err.println("no token store in " + dir + " (no log-N or snapshot-N files)");
    return FAILED;
  }

  private boolean holdsStore(Path dir) throws IOException {
    StoreDirectory files = new StoreDirectory(dir, ReadOnlyDisk.INSTANCE);
    return !files.logs().isEmpty() || !files.snapshots().isEmpty();
  }

  /** Inspects {@code dir} while holding its lock, so no writer changes it meanwhile. */
  private static StoreScan inspect(Path dir) throws IOException {
    try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
      return StoreScan.read(new StoreDirectory(lock.directory(), ReadOnlyDisk.INSTANCE));
    }
  }

  private int check(Path dir) throws IOException {
    StoreScan replay = inspect(dir);
    for (StoreScan.Finding finding : replay.findings) {
      out.println((finding.tornTail() ? "torn tail: " : "damaged: ") + finding.file()
          + " at offset " + finding.offset() + " (" + finding.detail() + "; " + finding.bytes()
          + " bytes to the end)");
    }
    int status = status(replay);
    if (replay.format < Frames.VERSION) {
      out.println("format " + replay.format + " (an earlier release's): an open upgrades it to "
          + "format " + Frames.VERSION);
    }
    out.println(status == OK ? "ok: " + replay.entries + " records read, no damage"
        : status == TORN_TAIL ? "torn tail only (bytes no fsync covered): an open drops it by "
            + "itself"
        : "damaged: an open refuses this store; run: StoreTool repair " + dir);
    return status;
  }

  private static int status(StoreScan replay) {
    int status = OK;
    for (StoreScan.Finding finding : replay.findings) {
      status = Math.max(status, finding.tornTail() ? TORN_TAIL : DAMAGED);
    }
    return status;
  }

  private int stats(Path dir) throws IOException {
    StoreScan replay = inspect(dir);
    Instant now = clock.instant();
    LiveIndex sessions = replay.state.live;
    long[] counts = new long[4];
    sessions.forEachSession(session -> {
      if (session.isRevoked()) {
        counts[2]++;
      } else if (session.session().isExpiredAt(now)) {
        counts[1]++;
      } else {
        counts[0]++;
      }
      for (TokenRecord token : sessions.tokensOf(session.id())) {
        if (token.isRotated()) {
          counts[3]++;
        }
      }
    });
    out.println("format " + replay.format);
    out.println("live " + counts[0]);
    out.println("expired " + counts[1]);
    out.println("revoked " + counts[2]);
    out.println("tokens " + sessions.tokenCount());
    out.println("rotated " + counts[3]);
    out.println("records read " + replay.entries);
    long total = 0;
    for (Map.Entry<String, Long> file : files(dir).entrySet()) {
      out.println("file " + file.getKey() + " " + file.getValue() + " bytes");
      total += file.getValue();
    }
    out.println("bytes " + total);
    int status = status(replay);
    if (status != OK) {
      out.println("found " + replay.findings.size() + " problem(s): run StoreTool check " + dir);
    }
    return OK;
  }

  private int compact(Path dir) throws IOException {
    long before = bytes(dir);
    report(inspect(dir), false);
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      store.compact();
      out.println("compacted: " + store.liveCount() + " live sessions kept, " + before
          + " bytes before, " + bytes(dir) + " after");
    }
    return OK;
  }

  private int repair(Path dir) throws IOException {
    StoreScan before = inspect(dir);
    if (before.findings.isEmpty()) {
      out.println("nothing to repair: " + before.entries + " records read, no damage");
      return OK;
    }
    report(before, true);
    boolean damaged = status(before) == DAMAGED;
    FileTokenStore.builder().directory(dir).clock(clock).recoverDamaged(damaged).build().close();
    StoreScan after = inspect(dir);
    out.println("repaired: " + after.state.live.sessionCount() + " sessions kept; the store "
        + "opens cleanly");
    if (damaged) {
      out.println("changes after the damage, revokes included, are gone: revoke the sessions of "
          + "the users concerned if a logout there must hold");
    }
    return status(after) == OK ? OK : DAMAGED;
  }

  /** Says what an open (with recovery, if {@code repairing}) will drop. */
  private void report(StoreScan replay, boolean repairing) throws IOException {
    for (StoreScan.Finding finding : replay.findings) {
      if (finding.tornTail()) {
        out.println("cutting off the torn tail of " + finding.file() + ": bytes " + finding.offset()
            + ".." + (finding.offset() + finding.bytes()) + " (" + finding.bytes() + " bytes, "
            + finding.detail() + "), no complete record in them");
        continue;
      }
      if (repairing && !Files.exists(finding.file())) {
        out.println("missing: " + finding.file() + " (" + finding.detail()
            + "); the changes it held are gone");
        continue;
      }
      if (!repairing) {
        throw new StoreCorruptedException(finding.file().toString(), finding.offset(),
            finding.detail() + "; run StoreTool repair first");
      }
      out.println("moving " + finding.file() + " aside to " + finding.file().getFileName()
          + ".damaged: damaged at offset " + finding.offset() + " (" + finding.detail()
          + "); dropping bytes " + finding.offset() + ".." + (finding.offset() + finding.bytes())
          + " (" + finding.bytes() + " bytes)");
      for (String record : checksummedAfter(finding)) {
        out.println("  dropped " + record);
      }
    }
  }

  /**
   * The records after a damage point that still pass their checksum, found by trying every
   * offset. Only described: applying them could replay a frame forged inside a username.
   */
  private static List<String> checksummedAfter(StoreScan.Finding finding) throws IOException {
    List<String> found = new ArrayList<>();
    if (!Files.exists(finding.file())) {
      return found;
    }
    byte[] bytes;
    try (FileChannel channel = FileChannel.open(finding.file(), StandardOpenOption.READ)) {
      long size = channel.size();
      if (size - finding.offset() > Integer.MAX_VALUE - 16) {
        found.add("(not searched: " + (size - finding.offset()) + " bytes after the damage)");
        return found;
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) (size - finding.offset()));
      while (buffer.hasRemaining() && channel.read(buffer, finding.offset() + buffer.position())
          >= 0) {
        // read to the end
      }
      bytes = buffer.array();
    }
    int version = version(finding.file());
    ByteBuffer view = ByteBuffer.wrap(bytes);
    int p = 1;
    while (p + Frames.HEADER < bytes.length) {
      int length = view.getInt(p);
      if (length >= 1 && length <= Frames.MAX_BODY && p + Frames.HEADER + length <= bytes.length
          && Frames.checksum(bytes, p + Frames.HEADER, length) == view.getInt(p + 4)) {
        try {
          LogEntry entry = Frames.decode(
              ByteBuffer.wrap(bytes, p + Frames.HEADER, length).slice(), version, null);
          found.add(describe(entry) + " at offset " + (finding.offset() + p));
          p += Frames.HEADER + length;
          continue;
        } catch (IllegalArgumentException undecodable) {
          // a checksum that matched by chance: keep searching
        }
      }
      p++;
    }
    return found;
  }

  /** The format version a file's magic names; the current one if it cannot be read. */
  private static int version(Path file) throws IOException {
    byte[] header = new byte[Frames.HEADER];
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.wrap(header);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read the header
      }
    }
    for (byte[] magic : List.of(Frames.LOG_MAGIC, Frames.SNAPSHOT_MAGIC)) {
      int version = Frames.version(header, magic);
      if (version > 0) {
        return version;
      }
    }
    return Frames.VERSION;
  }

  /** One line naming what a record did, tokens by fingerprint, sessions by their public id. */
  private static String describe(LogEntry entry) {
    if (entry instanceof LogEntry.Create create) {
      return "create of session " + create.session().id() + " with "
          + create.tokens().size() + " tokens";
    } else if (entry instanceof LogEntry.Rotate rotate) {
      return "refresh of session " + rotate.rotation().sessionId() + " rotating "
          + rotate.rotation().rotated().fingerprint();
    } else if (entry instanceof LogEntry.RevokeSession revoke) {
      return "revoke of session " + revoke.id();
    } else if (entry instanceof LogEntry.RevokeAll) {
      return "revoke of every session of one user";
    } else if (entry instanceof LogEntry.Touch touch) {
      return "last use of " + touch.uses().size() + " sessions";
    } else if (entry instanceof LogEntry.Purge purge) {
      return "purge of what expired by " + purge.now();
    } else if (entry instanceof LogEntry.Imported imported) {
      return "legacy import " + imported.sha256().substring(0, 8);
    } else if (entry instanceof LogEntry.SessionState state) {
      return "session " + state.session().id() + (state.session().isRevoked() ? " (revoked)" : "");
    } else if (entry instanceof LogEntry.TokenState state) {
      return "token " + state.token().hash().fingerprint()
          + (state.token().isRotated() ? " (rotated)" : "");
    } else if (entry instanceof LogEntry.V1Save save) {
      return "save " + save.token().hash().fingerprint()
          + (save.token().isRevoked() ? " (revoked)" : "");
    } else if (entry instanceof LogEntry.V1Revoke revoke) {
      return "revoke " + revoke.hash().fingerprint();
    } else if (entry instanceof LogEntry.V1Touch touch) {
      return "last use of " + touch.hash().fingerprint();
    } else if (entry instanceof LogEntry.V1Delete delete) {
      return "delete " + delete.hash().fingerprint();
    } else if (entry instanceof LogEntry.V1Purge purge) {
      return "purge of what expired by " + purge.now();
    } else if (entry instanceof LogEntry.V1RevokeAll) {
      return "revoke of every session of one user";
    } else if (entry instanceof LogEntry.Image image) {
      return "image of " + image.header().count(IndexImage.Section.SLOTS) + " slots";
    } else if (entry instanceof LogEntry.PlainSessions) {
      return "block of plain sessions";
    } else if (entry instanceof LogEntry.Sizes sizes) {
      return "sizes: " + sizes.sessions() + " sessions, " + sizes.tokens() + " tokens";
    } else if (entry instanceof LogEntry.Mark mark) {
      return "mark: durable to " + mark.durable();
    }
    return "snapshot end";
  }

  private static Map<String, Long> files(Path dir) throws IOException {
    Map<String, Long> sizes = new TreeMap<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path file : stream) {
        if (Files.isRegularFile(file)) {
          sizes.put(file.getFileName().toString(), Files.size(file));
        }
      }
    }
    return sizes;
  }

  private static long bytes(Path dir) throws IOException {
    long total = 0;
    for (long size : files(dir).values()) {
      total += size;
    }
    return total;
  }

  /** Opens files to read only; every change fails. What {@code check} and {@code stats} use. */
  private static final class ReadOnlyDisk implements Disk {
    static final ReadOnlyDisk INSTANCE = new ReadOnlyDisk();

    @Override
    public File create(Path file) throws IOException {
      throw new IOException("read-only: create " + file);
    }

    @Override
    public File open(Path file) throws IOException {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      return new File() {
        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
          return channel.read(dst, position);
        }

        @Override
        public void append(ByteBuffer src) throws IOException {
          throw new IOException("read-only: append to " + file);
        }

        @Override
        public void force() {}

        @Override
        public long size() throws IOException {
          return channel.size();
        }

        @Override
        public void truncate(long size) throws IOException {
          throw new IOException("read-only: truncate " + file);
        }

        @Override
        public void close() throws IOException {
          channel.close();
        }
      };
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
      throw new IOException("read-only: rename " + from);
    }

    @Override
    public void forceDirectory(Path dir) {}

    @Override
    public void delete(Path file) throws IOException {
      throw new IOException("read-only: delete " + file);
    }
  }
}
