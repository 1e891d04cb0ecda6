package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The other process of {@link KillTest}. {@code work DIR THREADS MODE THRESHOLD} creates, uses
 * and revokes sessions from several threads until killed, using the store's filled sessions too
 * ({@link #FILLED_SUBJECT}), printing {@code S <hash>} (of the session's
 * token) after each create returned, {@code r <hash>} before each revoke and {@code R <hash>}
 * after it returned, and {@code T <hash>} after a refresh token of a new pair was rotated.
 * {@code probe DIR} tries to open the store and prints {@code REFUSED <message>} (exit 3) or
 * {@code OPENED <live sessions>} (exit 0). {@code issue DIR COUNT} creates {@code COUNT} sessions,
 * compacts, creates {@code COUNT} more, closes the store and exits, printing {@code S <hash>} after
 * each create returned.
 */
public final class StoreChild {

  /** The subjects of the sessions {@link KillTest} fills the store with: this and 0 to 999. */
  static final String FILLED_SUBJECT = "filled";
  static final int FILLED_SUBJECTS = 1000;

  private StoreChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    PrintStream out = System.out;
    if (args[0].equals("probe")) {
      try (FileTokenStore store = FileTokenStore.open(dir)) {
        out.println("OPENED " + store.liveCount());
        out.flush();
        return;
      } catch (StoreUnavailableException e) {
        out.println("REFUSED " + e.getMessage());
        out.flush();
        System.exit(3);
      }
    }
    if (args[0].equals("issue")) {
      int count = Integer.parseInt(args[2]);
      try (FileTokenStore store = FileTokenStore.builder().directory(dir)
          .durability(Durability.SYNC).build()) {
        for (int round = 0; round < 2; round++) {
          for (int i = 0; i < count; i++) {
            Issued issued = Issued.create(store, "user" + i, Duration.ofDays(3650));
            out.println("S " + HexFormat.of().formatHex(issued.hash().bytes()));
          }
          if (round == 0) {
            store.compact();
          }
        }
      }
      out.flush();
      return;
    }
    int threads = Integer.parseInt(args[2]);
    FileTokenStore store = FileTokenStore.builder()
        .directory(dir)
        .durability(Durability.valueOf(args[3]))
        .compactionThreshold(Long.parseLong(args[4]))
        // Uses written every few milliseconds, so a kill finds many in the log's tail.
        .touchPersistInterval(Duration.ofMillis(5))
        .build();
    for (int t = 0; t < threads; t++) {
      String subject = "user" + t;
      Thread thread = new Thread(() -> {
        List<Issued> mine = new ArrayList<>();
        for (int i = 0; ; i++) {
          Issued issued = Issued.create(store, subject, Duration.ofDays(3650));
          String hex = HexFormat.of().formatHex(issued.hash().bytes());
          out.println("S " + hex);
          use(store, mine, i);
          mine.add(issued);
          useFilled(store, subject.hashCode() + i);
          if (i % 3 == 0) {
            out.println("r " + hex);
            issued.revoke(store, Instant.now());
            out.println("R " + hex);
          }
          if (i % 5 == 1) {
            SessionRecord base = TokenStoreContract.session(subject, Duration.ofDays(3650));
            TokenRecord refresh = TokenStoreContract.token(base.id());
            SessionRecord pair = SessionRecord.of(base.session(), null, refresh.hash());
            store.create(pair, List.of(refresh));
            if (store.rotate(TokenStoreContract.rotation(pair, Instant.now()))) {
              out.println("T " + HexFormat.of().formatHex(refresh.hash().bytes()));
            }
          }
        }
      });
      thread.start();
    }
  }

  /**
   * A use of a session {@link KillTest} filled the store with before the first child: those sit in
   * full chunks of a snapshot's mapped slots, where an open after a kill keeps a replayed use
   * beside the slot until it serves.
   */
  private static void useFilled(FileTokenStore store, int i) {
    List<SessionRecord> sessions = store.findSessions(FILLED_SUBJECT + Math.floorMod(i * 7919,
        FILLED_SUBJECTS));
    if (!sessions.isEmpty()) {
      Instant now = Instant.now();
      store.touch(sessions.get(Math.floorMod(i, sessions.size())).id(), now,
          now.plus(Duration.ofDays(3650)));
    }
  }

  /**
   * A use of one of the thread's recent sessions, revoked ones included: a use, live or replayed,
   * must never bring a revoked session back.
   */
  private static void use(FileTokenStore store, List<Issued> mine, int i) {
    if (mine.isEmpty()) {
      return;
    }
    Issued used = mine.get(i * 7 % mine.size());
    Instant now = Instant.now();
    store.touch(used.id(), now, now.plus(Duration.ofDays(3650)));
    if (mine.size() == 64) {
      mine.remove(0);
    }
  }
}
