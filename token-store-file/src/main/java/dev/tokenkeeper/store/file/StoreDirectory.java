package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.io.IOException;
import java.io.SyncFailedException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;

/**
 * The files of one store directory and how they are named, created and replaced.
 *
 * <p>A store is numbered generations: {@code log-N} holds changes appended while N was current;
 * {@code snapshot-N} holds every record needed from logs older than N, so opening reads the newest
 * snapshot and then the logs from its number on. {@code snapshot-N.tmp} is a snapshot being written
 * and is ignored (and removed) on open. Files are created owner-only.
 */
final class StoreDirectory {

  private static final Pattern NAME = Pattern.compile("(log|snapshot)-(\\d{10})");
  /** A name in any script's digits, as an earlier release wrote them in some locales. */
  private static final Pattern ANY_DIGITS = Pattern.compile("(log|snapshot)-(\\p{Nd}{10})");
  private static final int GENERATION_DIGITS = 10;
  /** Present while {@link #renameLocaleDigitNames} renames. */
  static final String RENAMING = "RENAMING-DIGITS";
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private final Path dir;
  private final Disk disk;

  StoreDirectory(Path dir, Disk disk) {
    this.dir = dir;
    this.disk = disk;
  }

  Path path() {
    return dir;
  }

  Disk disk() {
    return disk;
  }

  Path log(long generation) {
    return dir.resolve(named("log", generation));
  }

  Path snapshot(long generation) {
    return dir.resolve(named("snapshot", generation));
  }

  /**
   * {@code kind}'s file name for {@code generation}, in ten ASCII digits. Not by
   * {@code String.format}, whose digits are the default locale's: under {@code ar-SA} or
   * {@code fa-IR} it wrote names such as {@code log-٠٠٠٠٠٠٠٠٠١}, which no open found again.
   */
  private static String named(String kind, long generation) {
    String digits = Long.toString(generation);
    return kind + "-" + "0".repeat(Math.max(0, GENERATION_DIGITS - digits.length())) + digits;
  }

  /**
   * Gives the files an earlier release named in another script's digits their names in ASCII
   * digits ({@link #localeDigitNames}), durably, so that open reads them; returns how many it
   * renamed. {@link #RENAMING} marks a renaming under way, so that a renaming cut short (some
   * names ASCII, some not) is finished by the next open.
   *
   * @throws StoreUnavailableException as {@link #localeDigitNames} does, before any change
   */
  int renameLocaleDigitNames() throws IOException {
    Path marker = dir.resolve(RENAMING);
    boolean underWay = Files.exists(marker, LinkOption.NOFOLLOW_LINKS);
    Map<Path, Path> renames = localeDigitNames(underWay);
    if (renames.isEmpty()) {
      if (underWay) {
        disk.delete(marker);
        forceDirectory();
      }
      return 0;
    }
    if (!underWay) {
      disk.create(marker).close();
      forceDirectory();
    }
    for (Map.Entry<Path, Path> rename : renames.entrySet()) {
      disk.rename(rename.getKey(), rename.getValue());
    }
    forceDirectory();
    disk.delete(marker);
    forceDirectory();
    return renames.size();
  }

  /** {@link #localeDigitNames(boolean)}, a renaming under way if {@link #RENAMING} is present. */
  Map<Path, Path> localeDigitNames() throws IOException {
    return localeDigitNames(Files.exists(dir.resolve(RENAMING), LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * The files an earlier release named in another script's digits, each with its name in ASCII
   * digits; none changed. Only a store named wholly in one other script, as one JVM's locale
   * wrote it, is renamed: names in two scripts are two stores' files mixed in one directory, or
   * one store written across a change of the JVM's locale, and names cannot tell which.
   *
   * @param underWay whether a renaming was cut short: then ASCII names are its own
   * @throws StoreUnavailableException if the store's files are named in more than one script (or
   *     one name mixes two), naming one file of each, or a file's ASCII name is taken
   */
  private Map<Path, Path> localeDigitNames(boolean underWay) throws IOException {
    Map<Path, Path> renames = new TreeMap<>();
    Map<Integer, Path> scripts = new TreeMap<>();
    List<Path> files = list();
    // Sorted, so that a refusal names the same files each time.
    files.sort(null);
    for (Path file : files) {
      Matcher m = ANY_DIGITS.matcher(file.getFileName().toString());
      // A link is renamed as a file is (a link named in ASCII digits is read through).
      if (!m.matches() || Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      String digits = m.group(2);
      int zero = digits.codePointAt(0) - Character.digit(digits.codePointAt(0), 10);
      long generation = 0;
      for (int at = 0; at < digits.length(); at += Character.charCount(digits.codePointAt(at))) {
        int digit = digits.codePointAt(at);
        // A name mixing scripts counts as a script of its own: no release wrote one.
        zero = digit - Character.digit(digit, 10) == zero ? zero : -1;
        generation = generation * 10 + Character.digit(digit, 10);
      }
      scripts.putIfAbsent(zero, file);
      if (zero != '0') {
        renames.put(file, dir.resolve(named(m.group(1), generation)));
      }
    }
    if (renames.isEmpty()) {
      return renames;
    }
    if (underWay) {
      scripts.remove((int) '0');
    }
    if (scripts.size() > 1 || scripts.containsKey(-1)) {
      throw new StoreUnavailableException("cannot open token store " + dir + ": its files are "
          + "named in the digits of more than one script ("
          + scripts.values().stream().map(file -> file.getFileName().toString()).toList()
          + "). An earlier release named them in the JVM's default locale at the time, so "
          + "which of them hold this store is not known. If one JVM wrote them all (its default "
          + "locale changed while it ran), give each the same name in ASCII digits (log-"
          + "0000000002 for the second generation) and open again; if JVMs of different locales "
          + "each wrote a store here, keep one script's files in the directory and move the "
          + "others out");
    }
    for (Map.Entry<Path, Path> rename : renames.entrySet()) {
      if (Files.exists(rename.getValue(), LinkOption.NOFOLLOW_LINKS)) {
        throw new StoreUnavailableException("cannot open token store " + dir + ": "
            + rename.getKey().getFileName() + ", named in another script's digits by an earlier "
            + "release, lies beside " + rename.getValue().getFileName() + " of the same "
            + "generation, so which holds the store is not known. Move the one that does not out "
            + "of the directory");
      }
    }
    return renames;
  }

  /** Generations of the logs present, ascending. */
  TreeSet<Long> logs() throws IOException {
    return generations("log");
  }

  /** Generations of the complete snapshots present, ascending. */
  TreeSet<Long> snapshots() throws IOException {
    return generations("snapshot");
  }

  /** Removes snapshots whose writing was cut short. */
  void deleteTemporaryFiles() throws IOException {
    for (Path file : list()) {
      if (file.getFileName().toString().endsWith(".tmp")) {
        disk.delete(file);
      }
    }
  }

  /** Creates {@code log-N} with its header, durably linked into the directory. */
  Disk.File createLog(long generation) throws IOException {
    Path path = log(generation);
    Disk.File file = disk.create(path);
    try {
      file.append(ByteBuffer.wrap(Frames.LOG_MAGIC));
      // The entry must survive power loss before anything acknowledged is written into the file.
      forceDirectory();
      return file;
    } catch (IOException | RuntimeException e) {
      file.close();
      disk.delete(path);
      throw e;
    }
  }

  /**
   * Forces {@code file}; a failure becomes a {@link SyncFailedException} so that callers latch the
   * store's failed state: after a failed fsync the kernel may have dropped the dirty pages, so
   * retrying could report success for data that is gone.
   */
  static void force(Disk.File file, Path path) throws SyncFailedException {
    try {
      file.force();
    } catch (IOException e) {
      throw syncFailed(path, e);
    }
  }

  void forceDirectory() throws SyncFailedException {
    try {
      disk.forceDirectory(dir);
    } catch (IOException e) {
      throw syncFailed(dir, e);
    }
  }

  /** The cause's message, or its kind where it has none (an interrupt's exception has none). */
  static String describe(IOException cause) {
    return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
  }

  private static SyncFailedException syncFailed(Path path, IOException cause) {
    SyncFailedException failed =
        new SyncFailedException("fsync of " + path + " failed: " + describe(cause));
    failed.initCause(cause);
    return failed;
  }

  /** One line naming the fix if the directory or a store file is open to group or others. */
  void warnIfShared(Logger log) throws IOException {
    if (!SystemDisk.isPosix(dir.getFileSystem())) {
      return;
    }
    List<Path> shared = new ArrayList<>();
    if (isShared(dir)) {
      shared.add(dir);
    }
    for (Path file : list()) {
      if (isShared(file)) {
        shared.add(file);
      }
    }
    if (!shared.isEmpty()) {
      log.warn("Token store {} is readable by group or others ({}); fix with: chmod 700 {} && "
          + "chmod 600 {}/*", dir, shared, dir, dir);
    }
  }

  private static boolean isShared(Path path) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
    permissions.retainAll(OTHERS);
    return !permissions.isEmpty();
  }

  private TreeSet<Long> generations(String kind) throws IOException {
    TreeSet<Long> generations = new TreeSet<>();
    for (Path file : list()) {
      Matcher m = NAME.matcher(file.getFileName().toString());
      if (m.matches() && m.group(1).equals(kind)) {
        generations.add(Long.parseLong(m.group(2)));
      }
    }
    return generations;
  }

  private List<Path> list() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path file : stream) {
        files.add(file);
      }
    }
    return files;
  }
}
