package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.ClientBinding;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random histories of sessions created (alone or as pairs), refreshes (rotations), revokes,
 * revoke-alls, uses, purges and compactions, cut short by simulated power losses
 * ({@link PowerCutDisk}) and injected disk errors at random calls. After each cut the store is
 * reopened and checked: every acknowledged session is there, every acknowledged revoke and
 * rotation holds, and nothing it holds was never written. A failed write or fsync must
 * leave the store refusing writes.
 *
 * <p>Each history ends with media damage: one byte of the closed store's forced files flipped,
 * which the open must refuse, naming the file. No other fault damages forced bytes, so any other
 * refused open fails the run.
 *
 * <p>CI runs a fixed set of seeds. A failure names its seed; rerun just that history with
 * {@code mvn -B -pl token-store-file test -Dtest=PowerCutTest -Dpowercut.seed=N}, or more with
 * {@code -Dpowercut.seeds=2000 -Dpowercut.firstSeed=1000 -Dpowercut.ops=400}.
 */
class PowerCutTest {

  private static final int CI_SEEDS = 60;
  private static final int CI_OPERATIONS = 150;
  private static final String[] SUBJECTS = {"alice@example.com", "bob", "zoë", "dave"};

  private static final AtomicLong SEEDS = new AtomicLong();
  private static final AtomicLong OPERATIONS = new AtomicLong();
  private static final AtomicLong CUTS = new AtomicLong();
  private static final AtomicLong FAILURES = new AtomicLong();
  private static final AtomicLong CHECKS = new AtomicLong();
  private static final AtomicLong LOST = new AtomicLong();
  private static final AtomicLong RESURRECTED = new AtomicLong();
  private static final AtomicLong INVENTED = new AtomicLong();
  private static final AtomicLong REFUSED = new AtomicLong();
  private static final AtomicLong MEDIA_DAMAGE_REFUSED = new AtomicLong();

  @TempDir
  Path tmp;

  static Stream<Long> seeds() {
    String one = System.getProperty("powercut.seed");
    if (one != null) {
      return Stream.of(Long.parseLong(one));
    }
    long first = Long.getLong("powercut.firstSeed", 1);
    return LongStream.range(first, first + Integer.getInteger("powercut.seeds", CI_SEEDS)).boxed();
  }

  @AfterAll
  static void summary() {
    System.out.printf("power-cut suite: seeds=%d operations=%d power_cuts=%d injected_failures=%d "
        + "reopen_checks=%d lost=%d resurrected=%d invented=%d refused_opens=%d "
        + "media_damage_refused=%d%n", SEEDS.get(), OPERATIONS.get(), CUTS.get(),
        FAILURES.get(), CHECKS.get(), LOST.get(), RESURRECTED.get(), INVENTED.get(),
        REFUSED.get(), MEDIA_DAMAGE_REFUSED.get());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomHistory_powerCutsAndDiskErrors_losesNothingAndInventsNothing(long seed)
      throws IOException {
    History history = new History(seed, tmp.resolve("store"));
    try {
      history.run(Integer.getInteger("powercut.ops", CI_OPERATIONS));
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + " failed after " + history.log.size()
          + " steps: " + e.getMessage() + "\nlast steps: "
          + history.log.subList(Math.max(0, history.log.size() - 40), history.log.size())
          + "\nrerun: mvn -B -pl token-store-file test -Dtest=PowerCutTest -Dpowercut.seed=" + seed,
          e);
    }
    SEEDS.incrementAndGet();
  }

  /** One seeded history and what it acknowledged. */
  private static final class History {
    final Random random;
    final Path dir;
    final PowerCutDisk disk;
    final Durability durability;
    final MutableClock clock = new MutableClock(T0);
    final List<String> log = new ArrayList<>();

    /** Every session a create was attempted for, by its first token's hash. */
    final Map<TokenHash, SessionRecord> issued = new LinkedHashMap<>();
    final Map<SessionId, SessionRecord> sessions = new LinkedHashMap<>();
    final Map<String, List<TokenHash>> bySubject = new LinkedHashMap<>();
    /** Pair sessions, for refreshes. */
    final List<SessionId> pairs = new ArrayList<>();
    /** Creates and rotations acknowledged durable, and (INTERVAL, NONE) those not yet forced. */
    final Set<TokenHash> ackedIssues = new HashSet<>();
    final Set<TokenHash> unforcedIssues = new HashSet<>();
    final Set<TokenHash> ackedRotations = new HashSet<>();
    final Set<TokenHash> unforcedRotations = new HashSet<>();
    final Set<TokenHash> triedRotations = new HashSet<>();
    /** Tokens minted by rotations tried: they may exist after a cut. */
    final Set<TokenHash> minted = new HashSet<>();
    final Set<TokenHash> triedRevokes = new HashSet<>();
    final Set<TokenHash> ackedRevokes = new HashSet<>();
    int operations;

    History(long seed, Path dir) {
      this.random = new Random(seed);
      this.dir = dir;
      this.durability = random.nextInt(5) < 3 ? Durability.SYNC
          : random.nextBoolean() ? Durability.INTERVAL : Durability.NONE;
      this.disk = new PowerCutDisk(dir, seed, EnumSet.allOf(PowerCutDisk.Tail.class));
    }

    void run(int total) throws IOException {
      log.add("durability " + durability);
      while (operations < total) {
        int fault = random.nextInt(10);
        if (fault < 6) {
          disk.cutAfter(random.nextInt(40));
        } else if (fault < 9) {
          disk.failAfter(random.nextInt(40));
        } else {
          disk.disarm();
        }
        FileTokenStore store = open();
        if (store == null) {
          continue;
        }
        round(store, Math.min(total - operations, 1 + random.nextInt(40)));
      }
      FileTokenStore last = open();
      while (last == null) {
        last = open();
      }
      last.close();
      damageMedia();
    }

    /**
     * Flips one byte of a file every fsync covered (the closed store's), as a failing disk
     * would: the open must refuse, naming that file. Only a clean close's own mark, the log's
     * last record, cannot be told from a torn tail, so it is spared.
     */
    private void damageMedia() throws IOException {
      List<Path> files;
      try (Stream<Path> listing = Files.list(dir)) {
        files = listing.filter(p -> p.getFileName().toString().matches("(log|snapshot)-\\d+"))
            .sorted().toList();
      }
      Path victim = files.get(random.nextInt(files.size()));
      byte[] bytes = Files.readAllBytes(victim);
      Path newestLog = files.stream().filter(p -> p.getFileName().toString().startsWith("log"))
          .reduce((a, b) -> b).orElse(null);
      int spared = victim.equals(newestLog) ? Frames.MARK_FRAME : 0;
      int at = random.nextInt(bytes.length - spared);
      bytes[at] ^= (byte) (1 + random.nextInt(255));
      Files.write(victim, bytes);
      log.add("damaged byte " + at + " of " + victim.getFileName());
      try {
        FileTokenStore.builder().directory(dir).disk(disk).clock(clock).build().close();
        throw new AssertionError("opened despite a damaged byte " + at + " of " + victim);
      } catch (StoreCorruptedException expected) {
        assertEquals(victim.toRealPath().toString(), expected.file(), expected.getMessage());
        MEDIA_DAMAGE_REFUSED.incrementAndGet();
      }
    }

    /** Opens the store and checks it, or returns null if the open itself was cut or failed. */
    private FileTokenStore open() throws IOException {
      FileTokenStore store;
      try {
        store = FileTokenStore.builder().directory(dir).disk(disk).clock(clock)
            .durability(durability).syncInterval(Duration.ofHours(1))
            .touchPersistInterval(Duration.ofHours(1)).build();
      } catch (StoreUnavailableException e) {
        log.add("open failed at " + disk.failed());
        afterFault(null);
        return null;
      } catch (StoreCorruptedException e) {
        // No fault here damages bytes an fsync covered: a refusal is a lost store.
        REFUSED.incrementAndGet();
        throw e;
      }
      log.add("opened " + listing());
      check(store);
      return store;
    }

    /** The directory's files and sizes, for the history printed on failure. */
    private String listing() {
      try (Stream<Path> files = Files.list(dir)) {
        List<String> names = new ArrayList<>();
        for (Path file : (Iterable<Path>) files.sorted()::iterator) {
          names.add(file.getFileName() + ":" + Files.size(file));
        }
        return names.toString();
      } catch (IOException e) {
        return "(unlistable: " + e + ")";
      }
    }

    private void round(FileTokenStore store, int count) throws IOException {
      for (int i = 0; i < count; i++) {
        operations++;
        OPERATIONS.incrementAndGet();
        clock.advance(Duration.ofSeconds(1));
        try {
          step(store);
        } catch (StoreUnavailableException e) {
          log.add("  failed at " + disk.failed());
          String failed = disk.failed();
          if (!disk.isDead() && failed != null
              && (failed.startsWith("force") || failed.startsWith("append log"))) {
            requireRefusesWrites(store);
          }
          afterFault(store);
          return;
        }
      }
      disk.disarm();
      if (random.nextBoolean()) {
        store.close();
        log.add("closed");
        forced();
      } else {
        store.abandon();
        log.add("power cut after the round");
        disk.powerCut();
        CUTS.incrementAndGet();
      }
    }

    /** A failed fsync, or append to the log, must latch: no later write may be acknowledged. */
    private void requireRefusesWrites(FileTokenStore store) {
      disk.disarm();
      SessionRecord extra = newSession(null);
      TokenRecord token = TokenRecord.of(hash(), extra.id());
      remember(extra, token.hash());
      for (Runnable write : List.<Runnable>of(
          () -> store.create(extra, List.of(token)),
          () -> store.revokeSession(extra.id(), clock.instant()),
          () -> store.revokeAll(SUBJECTS[0], clock.instant()),
          store::compact)) {
        try {
          write.run();
          throw new AssertionError("a write was acknowledged after " + disk.failed());
        } catch (StoreUnavailableException expected) {
          // refused, as it must be
        }
      }
      triedRevokes.add(token.hash());
      triedRevokes.addAll(bySubject.getOrDefault(SUBJECTS[0], List.of()));
    }

    /** After a cut or an injected failure: crash (power cut) or close, as chance says. */
    private void afterFault(FileTokenStore store) throws IOException {
      if (disk.isDead()) {
        if (store != null) {
          store.abandon();
        }
        disk.powerCut();
        CUTS.incrementAndGet();
        log.add("power cut " + listing());
        return;
      }
      FAILURES.incrementAndGet();
      disk.disarm();
      if (store == null) {
        return;
      }
      if (random.nextBoolean()) {
        store.abandon();
        disk.powerCut();
        CUTS.incrementAndGet();
        log.add("power cut after the failure");
      } else {
        try {
          store.close();
          forced();
        } catch (StoreUnavailableException expected) {
          // closing a failed store reports the failure; the lock is released all the same
        }
        log.add("closed after the failure");
      }
    }

    private void step(FileTokenStore store) {
      int op = random.nextInt(100);
      List<TokenHash> known = new ArrayList<>(issued.keySet());
      TokenHash some = known.isEmpty() ? null : known.get(random.nextInt(known.size()));
      if (op < 38 || some == null) {
        SessionRecord session = newSession(null);
        TokenRecord token = TokenRecord.of(hash(), session.id());
        remember(session, token.hash());
        log.add("create " + token.hash().fingerprint());
        store.create(session, List.of(token));
        (durability == Durability.SYNC ? ackedIssues : unforcedIssues).add(token.hash());
      } else if (op < 46) {
        TokenRecord refresh = TokenRecord.of(hash(), randomId());
        SessionRecord session = newSession(refresh);
        remember(session, refresh.hash());
        pairs.add(session.id());
        TokenRecord access = TokenRecord.expiring(hash(), session.id(),
            clock.instant().plus(Duration.ofMinutes(15)));
        log.add("create pair " + refresh.hash().fingerprint());
        store.create(session, List.of(refresh, access));
        (durability == Durability.SYNC ? ackedIssues : unforcedIssues).add(refresh.hash());
      } else if (op < 56 && !pairs.isEmpty()) {
        SessionId id = pairs.get(random.nextInt(pairs.size()));
        SessionRecord current = store.findSession(id).orElse(null);
        if (current == null || current.refreshHash() == null) {
          return;
        }
        Rotation rotation = new Rotation(id, current.refreshHash(), current.refreshHash(),
            clock.instant(), SealedSuccessor.of(bytes(64), clock.instant().plusSeconds(10)),
            TokenRecord.of(hash(), id),
            TokenRecord.expiring(hash(), id, clock.instant().plus(Duration.ofMinutes(15))),
            current.expiresAt().plusSeconds(60));
        log.add("rotate " + rotation.rotated().fingerprint());
        triedRotations.add(rotation.rotated());
        minted.add(rotation.refresh().hash());
        minted.add(rotation.access().hash());
        if (store.rotate(rotation)) {
          (durability == Durability.SYNC ? ackedRotations : unforcedRotations)
              .add(rotation.rotated());
        }
      } else if (op < 68) {
        log.add("revoke " + some.fingerprint());
        triedRevokes.add(some);
        store.revokeSession(issued.get(some).id(), clock.instant());
        ackedRevokes.add(some);
        forced();
      } else if (op < 73) {
        String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
        List<TokenHash> covered = new ArrayList<>(bySubject.getOrDefault(subject, List.of()));
        log.add("revokeAll " + subject);
        triedRevokes.addAll(covered);
        store.revokeAll(subject, clock.instant());
        ackedRevokes.addAll(covered);
        forced();
      } else if (op < 90) {
        log.add("touch " + some.fingerprint());
        store.touch(issued.get(some).id(), clock.instant(),
            clock.instant().plus(Duration.ofDays(40)));
      } else if (op < 93) {
        log.add("purge");
        store.purgeExpired(clock.instant());
      } else {
        log.add("compact");
        store.compact();
        forced();
      }
    }

    private void remember(SessionRecord session, TokenHash first) {
      issued.put(first, session);
      sessions.put(session.id(), session);
      bySubject.computeIfAbsent(session.subject(), s -> new ArrayList<>()).add(first);
    }

    /** A forced write returned: every earlier append is on disk too. */
    private void forced() {
      ackedIssues.addAll(unforcedIssues);
      unforcedIssues.clear();
      ackedRotations.addAll(unforcedRotations);
      unforcedRotations.clear();
    }

    private SessionRecord newSession(TokenRecord refresh) {
      SessionId id = refresh != null ? refresh.sessionId()
          : randomId();
      String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
      String label = random.nextInt(4) == 0 ? null : "device " + random.nextInt(1000);
      ClientBinding binding = random.nextInt(4) != 0 ? null
          : new ClientBinding(random.nextBoolean() ? "10.1.0.0/16" : null,
              "ua-" + random.nextInt());
      Session session = new Session(id, subject, label, clock.instant(), clock.instant(),
          clock.instant().plus(Duration.ofDays(30)));
      return SessionRecord.of(session, binding, refresh == null ? null : refresh.hash());
    }

    private SessionId randomId() {
      return SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(16)));
    }

    private TokenHash hash() {
      return TokenHash.of(TokenHash.SHA256, bytes(TokenHash.SHA256_LENGTH));
    }

    private byte[] bytes(int n) {
      byte[] bytes = new byte[n];
      random.nextBytes(bytes);
      return bytes;
    }

    /** What a reopened store must show. */
    private void check(FileTokenStore store) {
      CHECKS.incrementAndGet();
      List<String> lost = new ArrayList<>();
      List<String> resurrected = new ArrayList<>();
      List<String> invented = new ArrayList<>();
      for (TokenHash hash : ackedIssues) {
        // Nothing expires in a history, and compaction keeps revoked sessions until they do.
        if (store.find(hash).isEmpty()) {
          lost.add(hash.fingerprint());
        }
      }
      for (TokenHash hash : ackedRotations) {
        Optional<TokenEntry> found = store.find(hash);
        if (found.isEmpty() || !found.get().token().isRotated()) {
          lost.add("rotation of " + hash.fingerprint());
        }
      }
      for (TokenHash hash : ackedRevokes) {
        Optional<TokenEntry> found = store.find(hash);
        if (found.isPresent() && !found.get().session().isRevoked()) {
          resurrected.add(hash.fingerprint());
        }
      }
      for (String subject : SUBJECTS) {
        for (SessionRecord found : store.findSessions(subject)) {
          SessionRecord created = sessions.get(found.id());
          if (created == null || !sameSession(created, found)
              || (found.isRevoked() && !revokeTried(found.id()))) {
            invented.add(found.id() + "=" + found);
          }
        }
      }
      for (Map.Entry<TokenHash, SessionRecord> entry : issued.entrySet()) {
        store.find(entry.getKey()).ifPresent(found -> {
          if (!found.session().subject().equals(entry.getValue().subject())
              || !store.findSessions(found.session().subject()).contains(found.session())) {
            invented.add("index mismatch " + entry.getKey().fingerprint());
          }
          if (found.token().isRotated() && !triedRotations.contains(entry.getKey())) {
            invented.add("rotation of " + entry.getKey().fingerprint());
          }
        });
      }
      LOST.addAndGet(lost.size());
      RESURRECTED.addAndGet(resurrected.size());
      INVENTED.addAndGet(invented.size());
      assertEquals(List.of(), lost, "acknowledged creates or rotations lost");
      assertEquals(List.of(), resurrected, "acknowledged revokes undone");
      assertEquals(List.of(), invented, "records never written");
      // Writes that were not forced but reached the disk anyway are now durable.
      for (TokenHash hash : unforcedIssues) {
        if (store.find(hash).isPresent()) {
          ackedIssues.add(hash);
        }
      }
      unforcedIssues.clear();
      for (TokenHash hash : unforcedRotations) {
        if (store.find(hash).map(e -> e.token().isRotated()).orElse(false)) {
          ackedRotations.add(hash);
        }
      }
      unforcedRotations.clear();
    }

    private boolean revokeTried(SessionId id) {
      for (TokenHash hash : triedRevokes) {
        if (issued.get(hash).id().equals(id)) {
          return true;
        }
      }
      return false;
    }

    private static boolean sameSession(SessionRecord saved, SessionRecord found) {
      Session a = saved.session();
      Session b = found.session();
      return a.id().equals(b.id()) && a.subject().equals(b.subject())
          && Objects.equals(a.label(), b.label()) && a.createdAt().equals(b.createdAt())
          && !b.lastUsedAt().isBefore(a.lastUsedAt()) && !b.expiresAt().isBefore(a.expiresAt())
          && Objects.equals(saved.binding(), found.binding());
    }
  }
}
