package dev.tokenkeeper.bench;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.Durability;
import dev.tokenkeeper.store.file.FileTokenStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Builds the stores the benchmarks run against. Every store is filled through the public API:
 * {@link TokenService#issue} where the plaintexts are needed later, {@link FileTokenStore#create}
 * of made-up records where they are not. Fills run in {@link Durability#NONE} (records reach the
 * operating system, one fsync at close) and the store is then reopened in the mode measured, as a
 * restarted server would find it.
 */
final class Fixtures {

  /** A realistic device label: a browser's User-Agent, as the demo stores it. */
  static final String LABEL = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
  /** How many plaintexts a filled store keeps to present; a random sample of all it issued. */
  static final int SAMPLE = 1 << 16;

  private Fixtures() {}

  /** A filled, reopened store, its service and a sample of live plaintexts. */
  record Filled(Path directory, FileTokenStore store, TokenService tokens, String[] sample) {

    void close() {
      store.close();
      delete(directory);
    }
  }

  /** Two sessions per user, as in a service whose users log in from a laptop and a phone. */
  static String subject(long i) {
    return "user" + (i / 2) + "@example.com";
  }

  static Filled filled(String name, int liveTokens, Durability durability) {
    return filled(name, liveTokens, durability, false);
  }

  /** {@link #filled(String, int, Durability)}, reopened with {@code lookupsOnHeap}. */
  static Filled filled(String name, int liveTokens, Durability durability,
      boolean lookupsOnHeap) {
    Path dir = tempDirectory(name);
    List<String> sample = new ArrayList<>(Math.min(liveTokens, SAMPLE));
    Random pick = new Random(liveTokens);
    try (FileTokenStore fill = FileTokenStore.builder().directory(dir)
        .durability(Durability.NONE).build()) {
      TokenService issuer = TokenService.builder().store(fill).build();
      for (int i = 0; i < liveTokens; i++) {
        IssuedToken issued = issuer.issue(subject(i), LABEL);
        // Reservoir sampling: every issued token is equally likely to be presented.
        if (i < SAMPLE) {
          sample.add(issued.plaintext());
        } else {
          int slot = pick.nextInt(i + 1);
          if (slot < SAMPLE) {
            sample.set(slot, issued.plaintext());
          }
        }
      }
    }
    Collections.shuffle(sample, pick);
    FileTokenStore store = FileTokenStore.builder().directory(dir).durability(durability)
        .lookupsOnHeap(lookupsOnHeap).build();
    TokenService tokens = TokenService.builder().store(store).build();
    return new Filled(dir, store, tokens, sample.toArray(String[]::new));
  }

  /**
   * Saves {@code count} made-up live records (no plaintext exists for them) into an open store.
   * Each record gets its own strings, as a replayed store holds them.
   */
  static void saveRecords(FileTokenStore store, long count, SecureRandom random) {
    saveRecords(store, 0, count, random);
  }

  /** {@link #saveRecords}, the subjects those of records {@code first} on. */
  static void saveRecords(FileTokenStore store, long first, long count, SecureRandom random) {
    Instant now = Instant.now();
    Instant expires = now.plus(Duration.ofDays(7));
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    for (long i = first; i < first + count; i++) {
      byte[] digest = new byte[TokenHash.SHA256_LENGTH];
      random.nextBytes(digest);
      byte[] id = new byte[16];
      random.nextBytes(id);
      Session session = new Session(SessionId.parse(b64.encodeToString(id)), subject(i),
          new String(LABEL), now, now, expires);
      store.create(SessionRecord.of(session, null, null),
          List.of(TokenRecord.of(TokenHash.of(TokenHash.SHA256, digest), session.id())));
    }
  }

  /**
   * Uses {@code count} sessions of a store {@link #saveRecords} filled with {@code size}: both
   * sessions of users picked at random, each use a second after the last.
   */
  static void useSessions(FileTokenStore store, int size, int count, Random random) {
    BitSet picked = new BitSet(size / 2);
    for (int used = 0; used < count; ) {
      int user = random.nextInt(size / 2);
      if (picked.get(user)) {
        continue;
      }
      picked.set(user);
      for (SessionRecord session : store.findSessions(subject(2L * user))) {
        store.touch(session.id(), session.session().lastUsedAt().plusSeconds(1),
            session.expiresAt().plusSeconds(1));
        used++;
      }
    }
  }

  static Path tempDirectory(String name) {
    try {
      return Files.createTempDirectory("tokenkeeper-bench-" + name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long sizeOnDisk(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(file -> {
        try {
          return Files.size(file);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
