package dev.tokenkeeper.examples.consumer;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.FileTokenStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Issues a token, closes the store as a restart would, opens it again and authenticates the token
 * against the reopened store. Exits 0 when the token survived the restart, 1 otherwise.
 *
 * <p>Usage: {@code ConsumerMain [store-directory]}; without an argument a new temporary
 * directory is used.
 */
public final class ConsumerMain {

  private static final String SUBJECT = "alice@example.com";

  private ConsumerMain() {}

  public static void main(String[] args) throws IOException {
    Path directory = args.length > 0
        ? Path.of(args[0])
        : Files.createTempDirectory("tokenkeeper-consumer");

    String presented;
    try (FileTokenStore store = FileTokenStore.open(directory)) {
      TokenService tokens = TokenService.builder().store(store).build();
      IssuedToken issued = tokens.issue(SUBJECT, "consumer example");
      presented = issued.plaintext();
    }

    // A new store over the same directory: only what reached the disk is there.
    try (FileTokenStore store = FileTokenStore.open(directory)) {
      TokenService tokens = TokenService.builder().store(store).build();
      AuthResult result = tokens.authenticate(presented);
      if (result instanceof AuthResult.Authenticated ok && SUBJECT.equals(ok.session().subject())) {
        System.out.println("consumer: token issued, store reopened, " + SUBJECT
            + " authenticated (" + directory + ")");
        return;
      }
      System.err.println("consumer: after reopening the store the token was not accepted: "
          + result);
    }
    System.exit(1);
  }
}
