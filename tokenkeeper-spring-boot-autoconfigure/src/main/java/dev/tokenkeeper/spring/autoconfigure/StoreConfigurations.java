package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * One configuration per store, each applying only when {@link StoreChoice} picks its store and the
 * application defines no {@link TokenStore} of its own. Each store is closed with the context,
 * so pending writes are flushed and the file store's directory lock released on shutdown.
 * Nested in one holder, as Boot does for DataSources, so a store's classes are loaded only when
 * its module is present.
 */
final class StoreConfigurations {

  private StoreConfigurations() {}

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = StoreChoice.JDBC_STORE)
  @Conditional(StoreChoice.Jdbc.class)
  static class Jdbc {

    /** Reuses the application's pool; the store never closes it. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(TokenStore.class)
    JdbcTokenStore tokenkeeperStore(ObjectProvider<DataSource> dataSources,
        TokenkeeperProperties properties) {
      DataSource dataSource = dataSources.getIfUnique(() -> {
        throw new IllegalStateException("tokenkeeper.store.type is jdbc, but there is no single"
            + " DataSource bean to keep sessions in; define one (spring.datasource.url) or mark"
            + " one @Primary");
      });
      return JdbcTokenStore.builder()
          .dataSource(dataSource)
          .createSchemaIfMissing(properties.getStore().getJdbc().isCreateSchema())
          .build();
    }
  }

  /**
   * Several instances share one Redis, so the store reads Redis's clock and the service reads the
   * store's: last use and expiry are stamped on one clock, whatever each host's own says. The
   * condition on a missing store is the class's, so an application's own store (whose clock is
   * its own affair) takes the clock with it.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = StoreChoice.REDIS_STORE)
  @Conditional(StoreChoice.Redis.class)
  @ConditionalOnMissingBean(TokenStore.class)
  static class Redis {

    @Bean
    ServiceClock tokenkeeperServiceClock(RedisTokenStore tokenkeeperStore) {
      return new ServiceClock(tokenkeeperStore.clock());
    }

    @Bean(destroyMethod = "close")
    RedisTokenStore tokenkeeperStore(Environment environment, TokenkeeperProperties properties) {
      String uri = RedisSettings.uri(environment);
      if (uri == null) {
        throw new IllegalStateException("tokenkeeper.store.type is redis, but no Redis server is"
            + " configured; set tokenkeeper.store.redis.uri or spring.data.redis.url");
      }
      RedisTokenStore.Builder builder = RedisTokenStore.builder().uri(uri).redisClock();
      Settings.apply("tokenkeeper.store.redis.key-prefix",
          properties.getStore().getRedis().getKeyPrefix(), builder::keyPrefix);
      return builder.build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = StoreChoice.FILE_STORE)
  @Conditional(StoreChoice.File.class)
  static class File {

    /** Opens (and creates, owner-only, if missing) the directory; one process may hold it. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(TokenStore.class)
    FileTokenStore tokenkeeperStore(TokenkeeperProperties properties) {
      Path directory = properties.getStore().getFile().getDirectory();
      try {
        return FileTokenStore.open(directory);
      } catch (StoreUnavailableException e) {
        // Not creatable, not writable, or held by another process: name the setting to change.
        Throwable cause = e.getCause();
        throw Settings.invalid("tokenkeeper.store.file.directory", directory,
            cause == null ? e.getMessage() : e.getMessage() + " (" + cause.getMessage() + ")", e);
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  @Conditional(StoreChoice.Memory.class)
  static class Memory {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(TokenStore.class)
    InMemoryTokenStore tokenkeeperStore() {
      return new InMemoryTokenStore();
    }
  }
}
