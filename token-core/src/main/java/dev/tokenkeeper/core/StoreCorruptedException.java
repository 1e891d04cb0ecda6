package dev.tokenkeeper.core;

import java.util.Objects;

/**
 * Stored data is damaged somewhere it cannot be explained by an interrupted write, so the store
 * refuses to open rather than silently skip records. Names the file and byte offset of the damage.
 */
public class StoreCorruptedException extends TokenkeeperException {

  private static final long serialVersionUID = 1L;

  private final String file;
  private final long offset;

  public StoreCorruptedException(String file, long offset, String detail) {
    super(Objects.requireNonNull(file, "file") + " is damaged at offset " + offset + ": " + detail);
    this.file = file;
    this.offset = offset;
  }

  /** The damaged file. */
  public String file() {
    return file;
  }

  /** The byte offset of the first damage found. */
  public long offset() {
    return offset;
  }
}
