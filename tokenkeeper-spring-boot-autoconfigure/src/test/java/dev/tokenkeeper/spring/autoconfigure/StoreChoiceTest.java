package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.file.FileTokenStore;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import java.nio.file.Path;
import java.util.Locale;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Which store the auto-configuration picks, with and without {@code tokenkeeper.store.type}, and
 * what it says when the choice cannot be made. None of these stores is reached: building a Redis
 * store or a JDBC store without schema creation touches no server.
 */
class StoreChoiceTest {

  @TempDir
  Path temp;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TokenkeeperAutoConfiguration.class))
        .withPropertyValues("tokenkeeper.store.file.directory=" + temp.resolve("tokens"));
  }

  @Configuration(proxyBeanMethods = false)
  static class ApplicationDataSource {
    @Bean
    DataSource dataSource() {
      PGSimpleDataSource dataSource = new PGSimpleDataSource();
      dataSource.setURL("jdbc:postgresql://127.0.0.1:1/none");
      return dataSource;
    }
  }

  @Test
  void noSettings_fileStore_directoryCreated() {
    runner().run(context -> {
      assertThat(context).hasSingleBean(TokenService.class);
      assertThat(context).getBean(TokenStore.class).isInstanceOf(FileTokenStore.class);
      assertThat(temp.resolve("tokens")).isDirectory();
    });
  }

  @Test
  void noSettings_missingParents_created() {
    Path deep = temp.resolve("a/b/tokens");
    runner().withPropertyValues("tokenkeeper.store.file.directory=" + deep).run(context -> {
      assertThat(context).getBean(TokenStore.class).isInstanceOf(FileTokenStore.class);
      assertThat(deep).isDirectory();
    });
  }

  @Test
  void dataSource_jdbcStore() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withPropertyValues("tokenkeeper.store.jdbc.create-schema=false")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(JdbcTokenStore.class));
  }

  @Test
  void dataSource_jdbcModuleMissing_fileStore() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withClassLoader(new FilteredClassLoader(JdbcTokenStore.class))
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(FileTokenStore.class));
  }

  @Test
  void tokenkeeperRedisUri_redisStore() {
    runner().withPropertyValues("tokenkeeper.store.redis.uri=redis://127.0.0.1:1")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(RedisTokenStore.class));
  }

  @Test
  void springRedisUrl_redisStore() {
    runner().withPropertyValues("spring.data.redis.url=redis://127.0.0.1:1")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(RedisTokenStore.class));
  }

  @Test
  void springRedisHost_withPasswordToQuote_redisStore() {
    runner().withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=1",
            "spring.data.redis.password=p@ss:w/rd")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(RedisTokenStore.class));
  }

  @Test
  void redisSettings_redisModuleMissing_fileStore() {
    runner().withPropertyValues("spring.data.redis.url=redis://127.0.0.1:1")
        .withClassLoader(new FilteredClassLoader(RedisTokenStore.class))
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(FileTokenStore.class));
  }

  @Test
  void dataSourceAndRedisSettings_jdbcWins() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withPropertyValues("tokenkeeper.store.jdbc.create-schema=false",
            "spring.data.redis.url=redis://127.0.0.1:1")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(JdbcTokenStore.class));
  }

  @Test
  void typeFile_beatsDataSourceAndRedis() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withPropertyValues("tokenkeeper.store.type=file",
            "spring.data.redis.url=redis://127.0.0.1:1")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(FileTokenStore.class));
  }

  @Test
  void typeMemory_inMemoryStore_noDirectory() {
    runner().withPropertyValues("tokenkeeper.store.type=memory").run(context -> {
      assertThat(context).getBean(TokenStore.class).isInstanceOf(InMemoryTokenStore.class);
      assertThat(temp.resolve("tokens")).doesNotExist();
    });
  }

  @Test
  void typeRedis_overDataSource() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withPropertyValues("tokenkeeper.store.type=redis",
            "tokenkeeper.store.redis.uri=redis://127.0.0.1:1")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(RedisTokenStore.class));
  }

  @Test
  void typeJdbc_withDataSource_jdbcStore() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withPropertyValues("tokenkeeper.store.type=jdbc",
            "tokenkeeper.store.jdbc.create-schema=false")
        .run(context -> assertThat(context).getBean(TokenStore.class)
            .isInstanceOf(JdbcTokenStore.class));
  }

  @Test
  void typeJdbc_moduleMissing_failsNamingTheModule() {
    runner().withUserConfiguration(ApplicationDataSource.class)
        .withPropertyValues("tokenkeeper.store.type=jdbc")
        .withClassLoader(new FilteredClassLoader(JdbcTokenStore.class))
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("tokenkeeper.store.type is jdbc")
            .hasMessageContaining("dev.tokenkeeper:token-store-jdbc"));
  }

  @Test
  void noSettings_fileModuleMissing_failsNamingTheModule_noDirectory() {
    runner().withClassLoader(new FilteredClassLoader(FileTokenStore.class))
        .run(context -> {
          assertThat(context).getFailure().rootCause()
              .hasMessageContaining("tokenkeeper.store.type is unset (so file)")
              .hasMessageContaining("dev.tokenkeeper:token-store-file");
          assertThat(temp.resolve("tokens")).doesNotExist();
        });
  }

  @Test
  void typeFile_moduleMissing_inTurkish_namesTheTypeAsThePropertyTakesIt() {
    Locale before = Locale.getDefault();
    Locale.setDefault(Locale.forLanguageTag("tr-TR"));
    try {
      runner().withPropertyValues("tokenkeeper.store.type=file")
          .withClassLoader(new FilteredClassLoader(FileTokenStore.class))
          .run(context -> assertThat(context).getFailure().rootCause()
              .hasMessageContaining("tokenkeeper.store.type is file but"));
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void typeJdbc_withoutDataSource_failsSayingSo() {
    runner().withPropertyValues("tokenkeeper.store.type=jdbc").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("tokenkeeper.store.type is jdbc")
            .hasMessageContaining("DataSource"));
  }

  @Test
  void typeRedis_withoutServer_failsSayingSo() {
    runner().withPropertyValues("tokenkeeper.store.type=redis").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("tokenkeeper.store.type is redis")
            .hasMessageContaining("tokenkeeper.store.redis.uri"));
  }

  @Test
  void typeRedis_moduleMissing_failsNamingTheModule() {
    runner().withPropertyValues("tokenkeeper.store.type=redis")
        .withClassLoader(new FilteredClassLoader(RedisTokenStore.class))
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("dev.tokenkeeper:token-store-redis"));
  }

  @Test
  void typeUnknown_failsNamingTheProperty() {
    runner().withPropertyValues("tokenkeeper.store.type=mongo").run(context ->
        assertThat(context).getFailure().hasStackTraceContaining("tokenkeeper.store.type"));
  }

  @Test
  void fileStore_closedWithTheContext_directoryFreeAgain() {
    Path directory = temp.resolve("tokens");
    runner().run(context -> assertThat(context).hasSingleBean(FileTokenStore.class));
    // A store left open would hold the directory's lock, and this open would fail.
    try (FileTokenStore reopened = FileTokenStore.open(directory)) {
      assertThat(reopened.liveCount()).isZero();
    }
  }
}
