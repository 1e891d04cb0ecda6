package dev.tokenkeeper.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Refuses a data directory that others could write: anyone who can append a record to the token
 * store can mint a session, and anyone who can replace the device key can forge device cookies.
 * Checks the data directory, its files, the token store directory and its files.
 */
final class PrivateFiles {

  private PrivateFiles() {}

  /**
   * @throws InsecureDataException naming the first path writable by group or others, and its mode
   */
  static void check(Path dataDir) {
    if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    checkOne(dataDir);
    try (Stream<Path> top = Files.list(dataDir)) {
      for (Path path : (Iterable<Path>) top::iterator) {
        checkOne(path);
        if (path.getFileName().toString().equals(DemoServer.TOKENS_DIR)
            && Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          try (Stream<Path> store = Files.list(path)) {
            store.forEach(PrivateFiles::checkOne);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dataDir, e);
    }
  }

  private static void checkOne(Path path) {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the permissions of " + path, e);
    }
    if (mode.contains(PosixFilePermission.GROUP_WRITE)
        || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new InsecureDataException(path.toAbsolutePath() + " is writable by "
          + (mode.contains(PosixFilePermission.OTHERS_WRITE) ? "others" : "its group")
          + " (mode " + PosixFilePermissions.toString(mode) + "); refusing to start: run"
          + " chmod go-w on it");
    }
  }
}
