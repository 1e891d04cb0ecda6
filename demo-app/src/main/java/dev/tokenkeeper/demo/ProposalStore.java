package dev.tokenkeeper.demo;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The demo's proposals, kept in one small JSON file that is rewritten atomically on each change
 * (temp file, fsync, rename, fsync the directory), so a crash leaves either the old or the new
 * file, never half of one. Fine for a demo's few proposals; tokens use the append-only store.
 *
 * <p>Thread-safe: changes are serialised on this object.
 */
final class ProposalStore {

  private final Path file;
  private final Clock clock;
  private final Map<String, Proposal> byId = new LinkedHashMap<>();
  private final SecureRandom random = new SecureRandom();

  ProposalStore(Path file, Clock clock) throws IOException {
    this.file = file;
    this.clock = clock;
    if (Files.exists(file)) {
      List<Proposal> saved = Json.MAPPER.readValue(file.toFile(), new TypeReference<>() {});
      for (Proposal proposal : saved) {
        byId.put(proposal.id(), proposal);
      }
    }
  }

  /** Proposals {@code username} owns or collaborates on, oldest first. */
  synchronized List<Proposal> visibleTo(String username) {
    return byId.values().stream().filter(p -> p.isVisibleTo(username)).toList();
  }

  synchronized Optional<Proposal> find(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  synchronized Proposal create(String owner, String title) {
    Proposal proposal = new Proposal(
        newId(), title, owner, List.of(), clock.instant().toString());
    byId.put(proposal.id(), proposal);
    persist(() -> byId.remove(proposal.id()));
    return proposal;
  }

  synchronized Proposal addCollaborator(Proposal proposal, String username) {
    Proposal updated = proposal.withCollaborator(username);
    if (updated != proposal) {
      byId.put(updated.id(), updated);
      persist(() -> byId.put(proposal.id(), proposal));
    }
    return updated;
  }

  /** 128 random bits, base64url: ids cannot be guessed or counted (older files keep 1, 2, ...). */
  private String newId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Writes every proposal; on failure undoes the in-memory change so memory matches the disk. */
  private void persist(Runnable undo) {
    try {
      byte[] json = Json.MAPPER.writerWithDefaultPrettyPrinter()
          .writeValueAsBytes(new ArrayList<>(byId.values()));
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(temp);
      try (FileChannel channel = createOwnerOnly(temp)) {
        ByteBuffer buffer = ByteBuffer.wrap(json);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      undo.run();
      throw new UncheckedIOException("could not save proposals to " + file, e);
    }
  }

  private static FileChannel createOwnerOnly(Path path) throws IOException {
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return FileChannel.open(path, java.util.Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    return FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }
}
