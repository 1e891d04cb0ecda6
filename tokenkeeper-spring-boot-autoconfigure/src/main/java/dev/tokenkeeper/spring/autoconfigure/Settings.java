package dev.tokenkeeper.spring.autoconfigure;

import java.util.function.Consumer;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Hands {@code tokenkeeper.*} values to the builders that validate them, or checks those no builder
 * takes, and turns a refusal into Boot's {@link InvalidConfigurationPropertyValueException}: the
 * startup then fails naming the property, its value and where it was set, not a builder's option
 * name deep in a stack trace.
 */
final class Settings {

  private Settings() {}

  /**
   * Gives {@code value} to {@code setter}, unless it is {@code null} (unset: the builder's default).
   *
   * @throws InvalidConfigurationPropertyValueException naming {@code property} if the setter
   *     refuses the value with an {@link IllegalArgumentException} (kept as the cause)
   */
  static <T> void apply(String property, T value, Consumer<T> setter) {
    if (value == null) {
      return;
    }
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      throw invalid(property, value, e.getMessage(), e);
    }
  }

  /**
   * Refuses {@code value} of {@code property} unless {@code valid}: for settings checked here, not
   * by a builder.
   *
   * @throws InvalidConfigurationPropertyValueException naming {@code property}, with {@code reason}
   */
  static void require(boolean valid, String property, Object value, String reason) {
    if (!valid) {
      throw invalid(property, value, reason, null);
    }
  }

  /** The exception Boot reports as an invalid value of {@code property}, caused by {@code cause} if any. */
  static InvalidConfigurationPropertyValueException invalid(String property, Object value,
      String reason, Throwable cause) {
    InvalidConfigurationPropertyValueException invalid =
        new InvalidConfigurationPropertyValueException(property, value, reason);
    if (cause != null) {
      invalid.initCause(cause);
    }
    return invalid;
  }
}
