package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.spring.autoconfigure.TokenkeeperProperties.StoreType;
import java.util.Locale;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * Which store an application gets: {@code tokenkeeper.store.type} if set; otherwise jdbc when
 * token-store-jdbc is on the class path and a {@link DataSource} bean exists, redis when
 * token-store-redis is and Redis settings are given, else file. One subclass per store matches
 * exactly when that store is the choice, so one store configuration applies at most.
 *
 * <p>Evaluated while beans are registered, after the application's own configuration and Boot's
 * DataSource auto-configuration, so the DataSource it looks for is the one the application has.
 */
abstract class StoreChoice extends SpringBootCondition implements ConfigurationCondition {

  static final String JDBC_STORE = "dev.tokenkeeper.store.jdbc.JdbcTokenStore";
  static final String REDIS_STORE = "dev.tokenkeeper.store.redis.RedisTokenStore";
  static final String FILE_STORE = "dev.tokenkeeper.store.file.FileTokenStore";

  /** Whether token-store-file is here: code naming its classes runs only then. */
  static final boolean FILE_STORE_PRESENT =
      ClassUtils.isPresent(FILE_STORE, StoreChoice.class.getClassLoader());

  private final StoreType type;

  StoreChoice(StoreType type) {
    this.type = type;
  }

  @Override
  public ConfigurationPhase getConfigurationPhase() {
    return ConfigurationPhase.REGISTER_BEAN;
  }

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    ConditionMessage.Builder message = ConditionMessage.forCondition("Tokenkeeper store " + type);
    StoreType explicit = explicitType(context.getEnvironment());
    if (explicit != null) {
      String reason = "tokenkeeper.store.type is " + explicit;
      return explicit == type
          ? ConditionOutcome.match(message.because(reason))
          : ConditionOutcome.noMatch(message.because(reason));
    }
    StoreType chosen = implicitType(context);
    String reason = "tokenkeeper.store.type is unset and the choice is " + chosen;
    return chosen == type
        ? ConditionOutcome.match(message.because(reason))
        : ConditionOutcome.noMatch(message.because(reason));
  }

  static StoreType explicitType(Environment environment) {
    return Binder.get(environment).bind("tokenkeeper.store.type", StoreType.class).orElse(null);
  }

  private static StoreType implicitType(ConditionContext context) {
    ClassLoader loader = context.getClassLoader();
    if (ClassUtils.isPresent(JDBC_STORE, loader) && context.getBeanFactory() != null
        && context.getBeanFactory().getBeanNamesForType(DataSource.class, true, false).length > 0) {
      return StoreType.JDBC;
    }
    if (ClassUtils.isPresent(REDIS_STORE, loader)
        && RedisSettings.uri(context.getEnvironment()) != null) {
      return StoreType.REDIS;
    }
    return StoreType.FILE;
  }

  /**
   * Why no store bean exists although the service needs one: the chosen store's module is not on
   * the class path (an explicit type whose module is missing, or the default file store's).
   */
  static String explainMissingStore(Environment environment) {
    StoreType explicit = explicitType(environment);
    StoreType type = explicit == null ? StoreType.FILE : explicit;
    String module = switch (type) {
      case JDBC -> "token-store-jdbc";
      case REDIS -> "token-store-redis";
      case FILE -> "token-store-file";
      case MEMORY -> "token-core";
    };
    // The root locale: in tr-TR, FILE lowercases to "fıle", which no property accepts.
    String choice = explicit == null
        ? "is unset (so file)" : "is " + type.name().toLowerCase(Locale.ROOT);
    return "Tokenkeeper needs a TokenStore: tokenkeeper.store.type " + choice
        + " but dev.tokenkeeper:" + module + " is not on the class path; add it, choose"
        + " another tokenkeeper.store.type, or define a TokenStore bean";
  }

  static final class File extends StoreChoice {
    File() {
      super(StoreType.FILE);
    }
  }

  static final class Redis extends StoreChoice {
    Redis() {
      super(StoreType.REDIS);
    }
  }

  static final class Jdbc extends StoreChoice {
    Jdbc() {
      super(StoreType.JDBC);
    }
  }

  static final class Memory extends StoreChoice {
    Memory() {
      super(StoreType.MEMORY);
    }
  }
}
