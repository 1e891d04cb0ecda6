package dev.tokenkeeper.store.file;

/**
 * When a {@link FileTokenStore} write is on stable storage, relative to the call that made it. A
 * revoke is forced to disk before it returns in every mode: a logout is never weaker than a login.
 */
public enum Durability {

  /**
   * The default. Issue and revoke return only after their record is forced to disk; concurrent
   * writers share one fsync (group commit), so throughput grows with the number of threads.
   * Survives {@code kill -9} and power loss.
   */
  SYNC,

  /**
   * Records are written to the operating system at once and forced every sync interval. Survives
   * {@code kill -9}; on power loss or a kernel crash the issues of the last interval may be lost
   * (revokes are still forced at once).
   */
  INTERVAL,

  /**
   * Records are written to the operating system at once and forced only by a revoke, a
   * compaction or {@link FileTokenStore#close()}. Survives {@code kill -9}; on power loss every
   * issue since the last of those may be lost.
   */
  NONE
}
