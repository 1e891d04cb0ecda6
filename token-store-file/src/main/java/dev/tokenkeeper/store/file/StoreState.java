package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a store's files hold once read: the sessions and tokens, in the same
 * {@link LiveIndex} the running store then serves from, the legacy imports recorded,
 * and format 1 tokens waiting for their {@link V1Upgrade}. Entries are applied through the very
 * methods the running store calls, so a replayed log rebuilds exactly the state its calls left;
 * the rules (revoke wins, touches only move forward, a rotation applies only where it still
 * does) are core's. Opening and compaction each fill one; not thread-safe while filling.
 */
final class StoreState {

  final LiveIndex live = LiveIndex.create();
  /** Legacy files imported, by the SHA-256 of their bytes. Read by the running store too. */
  final Map<String, LogEntry.Imported> imports = new ConcurrentHashMap<>();
  final V1Upgrade upgrade = new V1Upgrade();

  /** A snapshot's session whose token frames are being read. */
  private SessionRecord pending;
  private final List<TokenRecord> pendingTokens = new ArrayList<>();
  /** The first inconsistency between frames that each passed their checksum, or null. */
  private String inconsistency;

  /**
   * Applies one entry read from a log or a snapshot.
   *
   * @throws UncheckedIOException if an image's sections cannot be read
   */
  void apply(LogEntry entry) {
    if (entry instanceof LogEntry.V1 v1) {
      upgrade.apply(v1);
      return;
    }
    if (entry instanceof LogEntry.TokenState state) {
      if (pending == null || !pending.id().equals(state.token().sessionId())) {
        inconsistent("a token record of session " + state.token().sessionId()
            + " does not follow its session");
      } else {
        pendingTokens.add(state.token());
      }
      return;
    }
    if (entry instanceof LogEntry.Sizes) {
      return; // a sizing hint, taken by StoreScan where the file's size bounds it
    }
    finishSession();
    if (entry instanceof LogEntry.Image image) {
      try {
        live.loadImage(image);
      } catch (IllegalArgumentException e) {
        inconsistent("the image of the sessions cannot be loaded: " + e.getMessage());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    if (entry instanceof LogEntry.PlainSessions plain) {
      try {
        live.load(plain.block());
      } catch (IllegalArgumentException e) {
        inconsistent("a block of sessions cannot be loaded: " + e.getMessage());
      }
      return;
    }
    try {
      if (entry instanceof LogEntry.SessionState state) {
        pending = state.session();
      } else if (entry instanceof LogEntry.Create create) {
        live.create(create.session(), create.tokens());
      } else if (entry instanceof LogEntry.Rotate rotate) {
        live.rotate(rotate.rotation());
      } else if (entry instanceof LogEntry.RevokeSession revoke) {
        live.revokeSession(revoke.id(), revoke.at());
      } else if (entry instanceof LogEntry.RevokeAll all) {
        live.revokeAll(all.subject(), all.at());
      } else if (entry instanceof LogEntry.Touch touch) {
        for (LogEntry.Use use : touch.uses()) {
          live.touch(use.id(), use.lastUsedAt(), use.expiresAt());
        }
      } else if (entry instanceof LogEntry.Purge purge) {
        live.purgeExpired(purge.now());
      } else if (entry instanceof LogEntry.Imported imported) {
        imports.putIfAbsent(imported.sha256(), imported);
      }
    } catch (IllegalArgumentException duplicate) {
      // A hash or session stored twice: the first stays, as it did when the call was refused.
    }
  }

  /**
   * Ends the snapshot's last session group.
   *
   * @return the first inconsistency found, or null
   */
  String finish() {
    finishSession();
    return inconsistency;
  }

  /**
   * Ends the file just read: the first inconsistency found in it, or null, and forgets it, so the
   * damage is reported against the file that holds it.
   */
  String finishFile() {
    String found = finish();
    inconsistency = null;
    return found;
  }

  private void finishSession() {
    if (pending == null) {
      return;
    }
    try {
      live.create(pending, pendingTokens);
    } catch (IllegalArgumentException e) {
      inconsistent("session " + pending.id() + " cannot be loaded: " + e.getMessage());
    }
    pending = null;
    pendingTokens.clear();
  }

  /** Notes that frames which each passed their checksum do not hold together. */
  void inconsistent(String what) {
    if (inconsistency == null) {
      inconsistency = what;
    }
  }
}
