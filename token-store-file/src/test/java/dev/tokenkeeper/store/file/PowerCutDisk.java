package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A {@link Disk} that remembers what a power cut would keep. It writes through to the real files
 * and mirrors every file's bytes, the bytes last forced, and the directory as last forced. At
 * {@link #powerCut()} it rewrites the directory to what a machine losing power could show:
 *
 * <ul>
 *   <li>bytes written but not forced are dropped, kept in part, kept whole, or turn into zeros or
 *       garbage, or (unsynced pages are written back in any order) the file keeps some length of
 *       them and each 4 KiB page of that independently reached the disk, reads as zeros or as
 *       garbage;
 *   <li>bytes a failed force should have written are lost, as Linux loses them (the PostgreSQL
 *       "fsyncgate" lesson): the page cache keeps serving them until the cut, a later force that
 *       succeeds does not write them, and after the cut they read as zeros or garbage or are gone;
 *   <li>creates, renames and deletes since the last directory force are undone, except a prefix of
 *       them in order (a journaled file system keeps metadata changes in order), or any chosen
 *       subset ({@link #powerCutKeeping});
 *   <li>a file truncated since its last force shows its old or new contents.
 * </ul>
 *
 * <p>It can also fail the n-th change (append, force, create, rename, delete, truncate, directory
 * force) with an {@link IOException} as a full disk or EIO would; a failed append first writes a
 * random prefix of its bytes, as a short write does. From the armed cut on, every call throws, as
 * if the machine had stopped, until {@link #powerCut()} rewrites the directory and reopens it.
 * {@link #holdNextForce} parks the next force of a file until the test releases it, so that other
 * writers, a compaction or a close can be lined up behind a leader whose force then fails.
 *
 * <p>Every random choice comes from the seeded generator, so one seed replays one history. Calls
 * are serialised on this object (a held force waits outside it).
 */
final class PowerCutDisk implements Disk {

  /** What happens to a file's bytes written since its last force. */
  enum Tail {
    DROP, PART, ALL, ZEROS, GARBAGE, PAGES
  }

  private static final int PAGE = 4096;

  private final Disk real = Disk.system();
  private final Path dir;
  private final Random random;
  private final Set<Tail> tails;
  /** Whether a force also forces the real file (or directory), beside moving the model. */
  private final boolean fsync;

  /** Files by name as the directory holds them now. */
  private final Map<Path, Node> current = new HashMap<>();
  /** Files by name as the directory held them at its last force. */
  private final Map<Path, Node> durable = new HashMap<>();
  /** Directory changes since its last force, oldest first. */
  private final List<Change> pending = new ArrayList<>();
  /** Names whose real file this model knows, so a cut can rewrite exactly those. */
  private final Set<Path> known = new HashSet<>();

  private long changes;
  private long cutAt = -1;
  private long failAt = -1;
  private String failOp;
  private int failOpSkip;
  private String cutOp;
  private boolean dead;
  private String failed;
  private int cuts;
  private Hold hold;
  /** Forces called on a file after one of its forces failed: never allowed. */
  private int forcesAfterFailure;

  /** A directory change not yet forced: what it did, and how to do it again on a cut. */
  private record Change(String description, Runnable op) {}

  /** A force parked by {@link #holdNextForce}: it waits for {@link #release} and then fails. */
  static final class Hold {
    private final java.util.concurrent.CountDownLatch held =
        new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch released =
        new java.util.concurrent.CountDownLatch(1);

    /** Waits (bounded) until a force is parked here. */
    void awaitHeld() throws InterruptedException {
      if (!held.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new AssertionError("no force was held");
      }
    }

    /** Lets the parked force go on, to fail with EIO. */
    void releaseFailing() {
      released.countDown();
    }

    private void park() {
      held.countDown();
      try {
        if (!released.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new AssertionError("a held force was never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * A file's contents: what the page cache holds now, what the disk holds since the last force,
   * and the bytes a failed force lost.
   */
  private static final class Node {
    byte[] data;
    int size;
    byte[] forced;
    /** Bytes a failed force should have written, from, to: the disk never gets them. */
    int lostFrom = -1;
    int lostTo = -1;

    Node(byte[] contents) {
      data = contents.clone();
      size = contents.length;
      forced = contents.clone();
    }

    boolean hasLost() {
      return lostFrom >= 0;
    }

    /** A force failed: whatever was not yet on the disk never will be. */
    void loseUnforced() {
      if (size <= forced.length) {
        return;
      }
      lostFrom = lostFrom < 0 ? forced.length : Math.min(lostFrom, forced.length);
      lostTo = Math.max(lostTo, size);
    }

    /** What the disk shows of {@code bytes}: a lost range never reached it. */
    byte[] withoutLost(byte[] bytes, byte fill) {
      if (hasLost()) {
        int to = Math.min(lostTo, bytes.length);
        if (lostFrom < to) {
          Arrays.fill(bytes, lostFrom, to, fill);
        }
      }
      return bytes;
    }

    void append(ByteBuffer src) {
      int n = src.remaining();
      if (size + n > data.length) {
        data = Arrays.copyOf(data, Math.max(size + n, data.length * 2));
      }
      src.get(data, size, n);
      size += n;
    }

    byte[] contents() {
      return Arrays.copyOf(data, size);
    }
  }

  PowerCutDisk(Path dir, long seed, Set<Tail> tails) {
    this(dir, seed, tails, false);
  }

  /**
   * A model of {@code dir} (its absolute, normalised path must be the one the store uses) that
   * draws from {@code seed} and keeps unforced bytes as {@code tails} allow; with {@code fsync}
   * every force the model records is also made on the real file, so a suite on this disk keeps
   * its real fsyncs.
   */
  PowerCutDisk(Path dir, long seed, Set<Tail> tails, boolean fsync) {
    this.dir = dir.toAbsolutePath().normalize();
    this.random = new Random(seed);
    this.tails = Set.copyOf(tails);
    this.fsync = fsync;
  }

  /** Stops the machine at the change after the next {@code changes} ones. */
  synchronized void cutAfter(long changes) {
    cutAt = this.changes + changes;
    failAt = -1;
  }

  /** Fails (with an IOException, once) the change after the next {@code changes} ones. */
  synchronized void failAfter(long changes) {
    failAt = this.changes + changes;
    cutAt = -1;
  }

  /** Fails (with an IOException, once) the next change named {@code op}, such as "force". */
  synchronized void failNext(String op) {
    failNext(op, 0);
  }

  /** Fails (with an IOException, once) the change named {@code op} after {@code skip} of them. */
  synchronized void failNext(String op, int skip) {
    failOp = op;
    failOpSkip = skip;
  }

  /** Stops the machine at the next change named {@code op}, such as "forceDirectory". */
  synchronized void cutAtNext(String op) {
    cutOp = op;
  }

  /** Parks the next force of any file until the returned hold is released; it then fails. */
  synchronized Hold holdNextForce() {
    hold = new Hold();
    return hold;
  }

  /** Forces called on a file after a force of it had failed. */
  synchronized int forcesAfterFailure() {
    return forcesAfterFailure;
  }

  synchronized void disarm() {
    cutAt = -1;
    failAt = -1;
    failOp = null;
    cutOp = null;
  }

  /** Whether the armed cut has happened: every call now fails until {@link #powerCut()}. */
  synchronized boolean isDead() {
    return dead;
  }

  /** The change that was failed or cut at, or null. */
  synchronized String failed() {
    return failed;
  }

  synchronized int cuts() {
    return cuts;
  }

  /**
   * Rewrites the directory to what the disk holds after power is lost now, and brings the machine
   * back up. The store must have been abandoned (its files closed) first.
   */
  synchronized void powerCut() throws IOException {
    powerCut(random.nextInt(pending.size() + 1));
  }

  /** {@link #powerCut()}, keeping the first {@code dirChanges} unforced directory changes. */
  synchronized void powerCut(int dirChanges) throws IOException {
    int kept = Math.min(dirChanges, pending.size());
    powerCut(pending.subList(0, kept));
  }

  /**
   * {@link #powerCut()}, keeping exactly the unforced directory changes whose description
   * ({@code "create NAME"}, {@code "rename FROM TO"}, {@code "delete NAME"}) {@code keep}
   * accepts, in their order: a file system that orders nothing before a directory fsync.
   */
  synchronized void powerCutKeeping(java.util.function.Predicate<String> keep)
      throws IOException {
    powerCut(pending.stream().filter(change -> keep.test(change.description())).toList());
  }

  /** The unforced directory changes, described, oldest first. */
  synchronized List<String> pendingDirectoryChanges() {
    return pending.stream().map(Change::description).toList();
  }

  private void powerCut(List<Change> kept) throws IOException {
    Map<Path, Node> after = new HashMap<>(durable);
    // Replay the kept unforced directory changes against the forced directory.
    Map<Path, Node> saved = new HashMap<>(current);
    current.clear();
    current.putAll(after);
    for (Change change : List.copyOf(kept)) {
      change.op().run();
    }
    after = new HashMap<>(current);
    current.clear();
    current.putAll(saved);

    Map<Node, byte[]> contents = new HashMap<>();
    for (Node node : after.values()) {
      contents.computeIfAbsent(node, this::survivingBytes);
    }
    for (Path name : known) {
      Files.deleteIfExists(name);
    }
    for (Map.Entry<Path, Node> entry : after.entrySet()) {
      Files.write(entry.getKey(), contents.get(entry.getValue()));
      Files.setPosixFilePermissions(entry.getKey(), PosixFilePermissions.fromString("rw-------"));
    }
    current.clear();
    durable.clear();
    pending.clear();
    known.clear();
    dead = false;
    hold = null;
    disarm();
    cuts++;
  }

  private byte[] survivingBytes(Node node) {
    byte[] written = survivingWrites(node);
    if (!node.hasLost()) {
      return written;
    }
    if (node.forced.length <= node.lostFrom && random.nextBoolean()) {
      // No force succeeded since: the file's length may never have taken in the lost bytes.
      return Arrays.copyOf(written, Math.min(written.length, node.lostFrom));
    }
    if (random.nextBoolean()) {
      return node.withoutLost(written, (byte) 0);
    }
    int to = Math.min(node.lostTo, written.length);
    for (int i = node.lostFrom; i < to; i++) {
      written[i] = (byte) random.nextInt(256);
    }
    return written;
  }

  /** What reaches the disk of the bytes written since the last force. */
  private byte[] survivingWrites(Node node) {
    byte[] now = node.contents();
    byte[] forced = node.forced;
    boolean appendedOnly = now.length >= forced.length
        && Arrays.equals(now, 0, forced.length, forced, 0, forced.length);
    if (!appendedOnly) {
      return random.nextBoolean() ? forced : now;
    }
    int unforced = now.length - forced.length;
    if (unforced == 0) {
      return forced;
    }
    Tail tail = pick();
    byte[] out = Arrays.copyOf(now, now.length);
    switch (tail) {
      case DROP:
        return forced;
      case PART:
        return Arrays.copyOf(now, forced.length + random.nextInt(unforced + 1));
      case ALL:
        return now;
      case ZEROS: {
        int n = 1 + random.nextInt(unforced);
        out = Arrays.copyOf(forced, forced.length + n);
        return out;
      }
      case GARBAGE: {
        int n = 1 + random.nextInt(unforced);
        out = Arrays.copyOf(forced, forced.length + n);
        byte[] noise = new byte[n];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, out, forced.length, n);
        return out;
      }
      case PAGES: {
        // Written back in any order: the length reached some point, and each page before it
        // independently made it, or reads as zeros or garbage.
        out = Arrays.copyOf(now, forced.length + random.nextInt(unforced + 1));
        int firstPage = forced.length / PAGE;
        for (int page = firstPage; page * PAGE < out.length; page++) {
          int from = Math.max(page * PAGE, forced.length);
          int to = Math.min((page + 1) * PAGE, out.length);
          int fate = random.nextInt(3);
          if (fate == 1) {
            Arrays.fill(out, from, to, (byte) 0);
          } else if (fate == 2) {
            for (int i = from; i < to; i++) {
              out[i] = (byte) random.nextInt(256);
            }
          }
        }
        return out;
      }
      default:
        throw new AssertionError(tail);
    }
  }

  private Tail pick() {
    Tail[] choices = tails.toArray(new Tail[0]);
    Arrays.sort(choices);
    return choices[random.nextInt(choices.length)];
  }

  // ---- the seam ----

  private void change(String op, Path path) throws IOException {
    alive();
    long n = changes++;
    if (n == cutAt || op.equals(cutOp)) {
      dead = true;
      failed = op + " " + path.getFileName() + " (power cut)";
      throw new IOException("power cut during " + failed);
    }
    if (op.equals(failOp) && failOpSkip > 0) {
      failOpSkip--;
    } else if (n == failAt || op.equals(failOp)) {
      failOp = null;
      failed = op + " " + path.getFileName();
      throw new IOException(random.nextBoolean() ? "No space left on device" : "Input/output error");
    }
  }

  private void alive() throws IOException {
    if (dead) {
      throw new IOException("the machine is off");
    }
  }

  private Node node(Path file) throws IOException {
    Path name = file.toAbsolutePath().normalize();
    Node node = current.get(name);
    if (node == null && Files.exists(name)) {
      // A file from before this model started, or from before the last cut: all of it is durable.
      node = new Node(Files.readAllBytes(name));
      current.put(name, node);
      durable.put(name, node);
      known.add(name);
    }
    return node;
  }

  private boolean inStore(Path path) {
    return path.toAbsolutePath().normalize().getParent().equals(dir);
  }

  @Override
  public synchronized File create(Path file) throws IOException {
    change("create", file);
    Disk.File opened = real.create(file);
    if (!inStore(file)) {
      return opened;
    }
    Path name = file.toAbsolutePath().normalize();
    Node node = new Node(new byte[0]);
    current.put(name, node);
    known.add(name);
    pending.add(new Change("create " + name.getFileName(), () -> current.put(name, node)));
    return new Mirrored(opened, node, name);
  }

  @Override
  public synchronized File open(Path file) throws IOException {
    alive();
    if (!inStore(file)) {
      return real.open(file);
    }
    Node node = node(file);
    Disk.File opened = real.open(file);
    return new Mirrored(opened, node, file.toAbsolutePath().normalize());
  }

  @Override
  public synchronized void rename(Path from, Path to) throws IOException {
    change("rename", from);
    if (!inStore(from) || !inStore(to)) {
      real.rename(from, to);
      return;
    }
    Path source = from.toAbsolutePath().normalize();
    Path target = to.toAbsolutePath().normalize();
    node(source);
    node(target);
    real.rename(from, to);
    known.add(target);
    Runnable op = () -> {
      Node moved = current.remove(source);
      if (moved != null) {
        current.put(target, moved);
      }
    };
    op.run();
    pending.add(new Change("rename " + source.getFileName() + " " + target.getFileName(), op));
  }

  @Override
  public synchronized void forceDirectory(Path directory) throws IOException {
    change("forceDirectory", directory);
    if (fsync) {
      real.forceDirectory(directory);
    }
    if (directory.toAbsolutePath().normalize().equals(dir)) {
      durable.clear();
      durable.putAll(current);
      pending.clear();
    }
  }

  @Override
  public synchronized void delete(Path file) throws IOException {
    change("delete", file);
    if (!inStore(file)) {
      real.delete(file);
      return;
    }
    Path name = file.toAbsolutePath().normalize();
    node(name);
    real.delete(file);
    Runnable op = () -> current.remove(name);
    op.run();
    pending.add(new Change("delete " + name.getFileName(), op));
  }

  private final class Mirrored implements File {
    private final Disk.File file;
    private final Node node;
    private final Path name;

    Mirrored(Disk.File file, Node node, Path name) {
      this.file = file;
      this.node = node;
      this.name = name;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      synchronized (PowerCutDisk.this) {
        alive();
        return file.read(dst, position);
      }
    }

    @Override
    public void append(ByteBuffer src) throws IOException {
      synchronized (PowerCutDisk.this) {
        try {
          change("append", name);
        } catch (IOException e) {
          if (!dead && src.remaining() > 0) {
            // A short write: part of the bytes reached the file before the error.
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + random.nextInt(src.remaining()));
            node.append(part.duplicate());
            file.append(part);
          }
          throw e;
        }
        node.append(src.duplicate());
        file.append(src);
      }
    }

    @Override
    public void force() throws IOException {
      Hold parked;
      synchronized (PowerCutDisk.this) {
        alive();
        parked = hold;
        hold = null;
      }
      if (parked != null) {
        parked.park();
      }
      synchronized (PowerCutDisk.this) {
        if (node.hasLost()) {
          forcesAfterFailure++;
        }
        try {
          if (parked != null) {
            alive();
            failed = "force " + name.getFileName() + " (held)";
            throw new IOException("Input/output error");
          }
          change("force", name);
          if (fsync) {
            file.force();
          }
        } catch (IOException e) {
          if (!dead) {
            node.loseUnforced();
          }
          throw e;
        }
        // No real fsync: this model, not the kernel, decides what a cut keeps. A force after a
        // failed one succeeds, as on Linux, without writing what the failed one lost.
        node.forced = node.withoutLost(node.contents(), (byte) 0);
      }
    }

    @Override
    public long size() throws IOException {
      synchronized (PowerCutDisk.this) {
        alive();
        return file.size();
      }
    }

    @Override
    public void truncate(long size) throws IOException {
      synchronized (PowerCutDisk.this) {
        change("truncate", name);
        file.truncate(size);
        node.size = (int) Math.min(node.size, size);
        if (node.hasLost() && node.lostFrom >= node.size) {
          node.lostFrom = -1;
          node.lostTo = -1;
        } else if (node.hasLost()) {
          node.lostTo = Math.min(node.lostTo, node.size);
        }
      }
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
