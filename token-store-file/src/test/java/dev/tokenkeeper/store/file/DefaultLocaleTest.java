package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A store's files are named alike whatever the JVM's default locale. Under a locale whose
 * numbers have digits of their own (Arabic in Saudi Arabia, Persian), names formatted by the
 * locale came out as {@code log-٠٠٠٠٠٠٠٠٠١}, which no open recognizes: each reopen in that locale
 * was refused, and a JVM of any other locale opened the store empty. Real processes, each started
 * in the locale; and stores an earlier release so named, which open renames if that is safe.
 */
class DefaultLocaleTest {

  private static final Pattern STORE_FILE = Pattern.compile("LOCK|(log|snapshot)-[0-9]{10}");
  private static final int SESSIONS = 10;

  @TempDir
  Path tmp;

  @ParameterizedTest
  @CsvSource({"ar, SA", "fa, IR"})
  void storeWrittenInALocaleWithItsOwnDigits_reopensWithEverySession(String language,
      String country) throws Exception {
    Path dir = tmp.resolve("store");
    List<String> issued = new ArrayList<>();
    for (String line : child(language, country, "issue", dir.toString(),
        Integer.toString(SESSIONS))) {
      issued.add(line.substring(2));
    }
    assertEquals(2 * SESSIONS, issued.size());

    try (Stream<Path> files = Files.list(dir)) {
      files.map(file -> file.getFileName().toString()).forEach(name ->
          assertTrue(STORE_FILE.matcher(name).matches(), "a store file named " + name));
    }
    assertEquals(List.of("OPENED " + 2 * SESSIONS),
        child(language, country, "probe", dir.toString()), "reopened in the same locale");
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (String hex : issued) {
        TokenHash hash = TokenHash.of(TokenHash.SHA256, HexFormat.of().parseHex(hex));
        assertTrue(store.find(hash).isPresent(), "lost create " + hex);
      }
    }
  }

  @Test
  void storeAnEarlierReleaseNamedInArabicIndicDigits_opensWithEverySessionUnderAsciiNames()
      throws Exception {
    Path dir = tmp.resolve("store");
    List<TokenHash> issued = new ArrayList<>();
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (int i = 0; i < SESSIONS; i++) {
        issued.add(Issued.create(store, "user" + i, TEN_YEARS).hash());
        if (i == SESSIONS / 2) {
          store.compact();
        }
      }
    }
    List<String> before = names(dir);
    for (String name : before) {
      if (!name.equals(DirectoryLock.FILE_NAME)) {
        Files.move(dir.resolve(name), dir.resolve(asEarlierReleaseNamedIt(name, ARABIC)));
      }
    }

    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (TokenHash hash : issued) {
        assertTrue(store.find(hash).isPresent(), "lost create " + hash.fingerprint());
      }
    }
    assertEquals(before, names(dir));
  }

  /**
   * Files in two scripts are two stores' files mixed in one directory: the JVM of an earlier
   * release in one locale wrote some, a JVM in another locale, seeing no store, the others. Open
   * must not choose (renaming the older generation and then deleting it as compacted lost its
   * sessions), nor change any name before it refuses.
   */
  @Test
  void filesNamedInTwoScripts_areRefusedAndLeftAsTheyAre_untilOneScriptsFilesAreMovedOut()
      throws Exception {
    Path arabic = tmp.resolve("arabic");
    Path dir = tmp.resolve("store");
    storeOfAlice(arabic);
    TokenHash bob;
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      bob = Issued.create(store, "bob", TEN_YEARS).hash();
      store.compact();
    }
    Path moved = dir.resolve(asEarlierReleaseNamedIt("log-0000000001", ARABIC));
    Files.move(arabic.resolve("log-0000000001"), moved);
    assertRefusedAsItIs(dir, "log-0000000002");

    Files.move(moved, arabic.resolve(moved.getFileName()));
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      assertTrue(store.find(bob).isPresent());
    }
  }

  @Test
  void sameGenerationNamedInTwoScripts_isRefusedAndLeftAsItIs() throws Exception {
    Path dir = tmp.resolve("store");
    storeOfAlice(dir);
    Files.copy(dir.resolve("log-0000000001"),
        dir.resolve(asEarlierReleaseNamedIt("log-0000000001", ARABIC)));
    assertRefusedAsItIs(dir, "log-0000000001");
  }

  @Test
  void storeNamedInArabicAndPersianDigits_isRefusedAndLeftAsItIs() throws Exception {
    Path dir = tmp.resolve("store");
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      Issued.create(store, "alice", TEN_YEARS);
      store.compact();
    }
    Files.move(dir.resolve("log-0000000002"),
        dir.resolve(asEarlierReleaseNamedIt("log-0000000002", ARABIC)));
    Files.move(dir.resolve("snapshot-0000000002"),
        dir.resolve(asEarlierReleaseNamedIt("snapshot-0000000002", PERSIAN)));
    assertRefusedAsItIs(dir, asEarlierReleaseNamedIt("log-0000000002", ARABIC));
  }

  /**
   * One JVM of an earlier release whose default locale changed while it ran (code calling
   * {@code Locale.setDefault}) wrote generation 1 in ASCII digits and generation 2, with a
   * logout and a login, in Arabic-Indic ones. Keeping one script's files would lose one of
   * them, so the refusal also says what keeps both, and doing so keeps every session.
   */
  @Test
  void oneStoreWrittenAcrossALocaleChange_isRefusedSayingHowToKeepItWhole() throws Exception {
    Path dir = tmp.resolve("store");
    Path firstLog = tmp.resolve("log-1");
    Issued alice;
    Issued bob;
    Issued carol;
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      alice = Issued.create(store, "alice", TEN_YEARS);
      bob = Issued.create(store, "bob", TEN_YEARS);
      Files.copy(dir.resolve("log-0000000001"), firstLog);
      store.compact();
      assertTrue(alice.revoke(store, Instant.now()));
      carol = Issued.create(store, "carol", TEN_YEARS);
    }
    // As the earlier release left it: its compaction in the new locale never finished.
    Files.delete(dir.resolve("snapshot-0000000002"));
    Files.move(firstLog, dir.resolve("log-0000000001"));
    String second = asEarlierReleaseNamedIt("log-0000000002", ARABIC);
    Files.move(dir.resolve("log-0000000002"), dir.resolve(second));

    String refusal = assertRefusedAsItIs(dir, second);
    assertTrue(refusal.contains("give each the same name in ASCII digits"), refusal);

    Files.move(dir.resolve(second), dir.resolve("log-0000000002"));
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      assertTrue(alice.isRevokedIn(store), "logged out in generation 2");
      assertTrue(bob.in(store).isPresent());
      assertTrue(carol.in(store).isPresent());
    }
  }

  /** A store file that is a link named in Arabic-Indic digits is renamed and read through. */
  @Test
  void linkNamedInArabicIndicDigits_isRenamedAndReadThrough() throws Exception {
    Path dir = tmp.resolve("store");
    TokenHash hash = storeOfAlice(dir);
    Path target = Files.move(dir.resolve("log-0000000001"), tmp.resolve("elsewhere"));
    Files.createSymbolicLink(dir.resolve(asEarlierReleaseNamedIt("log-0000000001", ARABIC)),
        target);

    try (FileTokenStore store = FileTokenStore.open(dir)) {
      assertTrue(store.find(hash).isPresent());
    }
    assertTrue(Files.isSymbolicLink(dir.resolve("log-0000000001")));
  }

  /** A renaming cut short after some names: the next open finishes it. */
  @Test
  void renamingCutShort_isFinishedByTheNextOpen() throws Exception {
    Path dir = tmp.resolve("store");
    List<TokenHash> issued = new ArrayList<>();
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      issued.add(Issued.create(store, "alice", TEN_YEARS).hash());
      store.compact();
      issued.add(Issued.create(store, "bob", TEN_YEARS).hash());
    }
    List<String> ascii = names(dir);
    Files.move(dir.resolve("log-0000000002"),
        dir.resolve(asEarlierReleaseNamedIt("log-0000000002", ARABIC)));
    Files.createFile(dir.resolve(StoreDirectory.RENAMING));

    try (FileTokenStore store = FileTokenStore.open(dir)) {
      for (TokenHash hash : issued) {
        assertTrue(store.find(hash).isPresent(), "lost create " + hash.fingerprint());
      }
    }
    assertEquals(ascii, names(dir));
  }

  /**
   * Opens {@code dir}, which must be refused naming {@code named}, and no name changes; returns
   * the refusal's message.
   */
  private static String assertRefusedAsItIs(Path dir, String named) throws IOException {
    List<String> before = names(dir);
    StoreUnavailableException e =
        assertThrows(StoreUnavailableException.class, () -> FileTokenStore.open(dir));
    assertTrue(e.getMessage().contains(named), e.getMessage());
    assertTrue(e.getMessage().contains("more than one script"), e.getMessage());
    assertEquals(before, names(dir));
    return e.getMessage();
  }

  @Test
  void nameInDigitsBeyondTheBasicPlane_isReadByCodePoint() throws Exception {
    Path dir = tmp.resolve("store");
    TokenHash hash = storeOfAlice(dir);
    // MATHEMATICAL BOLD DIGIT ZERO and ONE: two chars each.
    String boldDigits = "\uD835\uDFCE".repeat(9) + "\uD835\uDFCF";
    Files.move(dir.resolve("log-0000000001"), dir.resolve("log-" + boldDigits));

    try (FileTokenStore store = FileTokenStore.open(dir)) {
      assertTrue(store.find(hash).isPresent());
    }
    assertEquals(List.of(DirectoryLock.FILE_NAME, "log-0000000001"), names(dir));
  }

  private static final Duration TEN_YEARS = Duration.ofDays(3650);
  private static final Locale ARABIC = Locale.forLanguageTag("ar-SA");
  private static final Locale PERSIAN = Locale.forLanguageTag("fa-IR");

  /** Writes a store in {@code dir} holding one session, alice's; returns its token. */
  private static TokenHash storeOfAlice(Path dir) {
    try (FileTokenStore store = FileTokenStore.open(dir)) {
      return Issued.create(store, "alice", TEN_YEARS).hash();
    }
  }

  /** {@code name} with its generation as the earlier release formatted it in {@code locale}. */
  private static String asEarlierReleaseNamedIt(String name, Locale locale) {
    int dash = name.indexOf('-');
    String named = String.format(locale, name.substring(0, dash) + "-%010d",
        Long.parseLong(name.substring(dash + 1)));
    assertFalse(named.equals(name), "the locale has digits of its own");
    return named;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(file -> file.getFileName().toString()).sorted().toList();
    }
  }

  /** The lines a {@link StoreChild} run in {@code language} and {@code country} printed. */
  private List<String> child(String language, String country, String... args)
      throws IOException, InterruptedException {
    Path stderr = Files.createTempFile(tmp, "child", ".err");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-Duser.language=" + language, "-Duser.country=" + country,
        "-cp", System.getProperty("java.class.path"), StoreChild.class.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child did not end");
    assertEquals(0, process.exitValue(), output + Files.readString(stderr));
    return output.lines().toList();
  }
}
