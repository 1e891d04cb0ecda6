package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Objects;

/**
 * What is known about one issued token: who it belongs to, on which device, and when it ends. It
 * holds no secret and no hash, so it is safe to show to its owner, log and serialise.
 *
 * <p>{@code expiresAt} is the instant the session stops being valid as currently known: with an
 * idle timeout it moves forward with use, but never past the absolute lifetime. A session is
 * expired at exactly {@code expiresAt} (see {@link #isExpiredAt(Instant)}).
 *
 * <p>Immutable.
 *
 * @param id the public session id
 * @param subject the user the token was issued to (a username); 1 to 256 characters, no controls
 *     or unpaired surrogates
 * @param label the device or user agent, up to 256 characters without controls or unpaired
 *     surrogates; {@code null} if none
 * @param createdAt when the token was issued
 * @param lastUsedAt when the token last authenticated (equal to {@code createdAt} until then)
 * @param expiresAt when the token stops being valid
 */
public record Session(
    SessionId id,
    String subject,
    String label,
    Instant createdAt,
    Instant lastUsedAt,
    Instant expiresAt) {

  /** Longest subject and label accepted. */
  public static final int MAX_TEXT_LENGTH = 256;

  /**
   * Labels that passed the check, one a length. A store hands many sessions the same label
   * object (a browser's User-Agent), and checking it again on every read cost a lookup a tenth of
   * its CPU. Only a {@code String} that passed is kept, and a {@code String} cannot change, so a
   * race between threads can only lose an entry, never admit an unchecked one.
   */
  private static final String[] CHECKED_LABELS = new String[64];

  /** @throws IllegalArgumentException if a field breaks the rules above */
  public Session {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireText("subject", subject, true);
    if (label != null) {
      int entry = label.length() & (CHECKED_LABELS.length - 1);
      if (CHECKED_LABELS[entry] != label) {
        requireText("label", label, false);
        CHECKED_LABELS[entry] = label;
      }
    }
    if (lastUsedAt.isBefore(createdAt)) {
      throw new IllegalArgumentException(
          "lastUsedAt " + lastUsedAt + " is before createdAt " + createdAt);
    }
    if (!expiresAt.isAfter(createdAt)) {
      throw new IllegalArgumentException(
          "expiresAt " + expiresAt + " must be after createdAt " + createdAt);
    }
  }

  /** Whether the session has ended at {@code now}: true from {@code expiresAt} on, inclusive. */
  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /**
   * This session after a use at {@code usedAt} that may extend it to {@code newExpiresAt}. Both
   * times only ever move forward, so a slow request finishing late cannot shorten a session.
   */
  public Session touchedAt(Instant usedAt, Instant newExpiresAt) {
    Instant lastUsed = usedAt.isAfter(lastUsedAt) ? usedAt : lastUsedAt;
    Instant expires = newExpiresAt.isAfter(expiresAt) ? newExpiresAt : expiresAt;
    if (lastUsed.equals(lastUsedAt) && expires.equals(expiresAt)) {
      return this;
    }
    return new Session(id, subject, label, createdAt, lastUsed, expires);
  }

  /**
   * Checks a text in one pass, as it runs on every session read from a compact store (a label
   * once per object, {@link #CHECKED_LABELS}): a run of printable ASCII, spaces included, takes a
   * tight loop of two comparisons a character, and only what follows it the full rules. Both must
   * be well-formed UTF-16; a subject must also not be blank.
   */
  private static void requireText(String name, String value, boolean subject) {
    int length = value.length();
    if (length == 0 || length > MAX_TEXT_LENGTH) {
      throw new IllegalArgumentException(
          name + " must be 1 to " + MAX_TEXT_LENGTH + " characters: " + length);
    }
    int printable = 0;
    boolean visible = false;
    while (printable < length) {
      char c = value.charAt(printable);
      if (c < ' ' || c >= 0x7F) {
        break;
      }
      visible |= c != ' ';
      printable++;
    }
    boolean blank = !visible;
    boolean unpaired = false;
    for (int i = printable; i < length; i++) {
      char c = value.charAt(i);
      if (c > ' ' && c < 0x7F) {
        blank = false;
      } else if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(name + " must not contain control characters");
      } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        blank = false;
        i++;
      } else if (Character.isSurrogate(c)) {
        unpaired = true;
        blank = false;
      } else if (!Character.isWhitespace(c)) {
        blank = false;
      }
    }
    // A lone half has no UTF-8 form: every store would write it as '?' and read back another text.
    if (unpaired) {
      throw new IllegalArgumentException(name + " must not contain unpaired surrogates");
    }
    if (subject && blank) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }
}
