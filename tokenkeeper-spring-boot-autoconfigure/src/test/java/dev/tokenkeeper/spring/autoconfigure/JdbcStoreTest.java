package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import dev.tokenkeeper.store.jdbc.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The JDBC store chosen from Boot's own DataSource (spring.datasource.url, no Tokenkeeper setting)
 * on a real PostgreSQL: it keeps sessions in the application's database through the application's
 * one pool, creating its tables there, and a session outlives a restart of the context.
 */
class JdbcStoreTest {

  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(
            org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration.class,
            TokenkeeperAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=" + postgres.url(""),
            "tokenkeeper.store.file.directory=/nonexistent/never-used");
  }

  @Test
  void springDatasource_jdbcStore_inTheApplicationsPool_sessionOutlivesRestart() {
    String[] token = new String[1];
    runner().run(context -> {
      assertThat(context).getBean(TokenStore.class).isInstanceOf(JdbcTokenStore.class);
      assertThat(context).hasSingleBean(DataSource.class); // no pool of the store's own
      IssuedToken issued = context.getBean(TokenService.class).issue("alice@example.com");
      token[0] = issued.plaintext();
      // The session is a row in the application's database, reached through its pool.
      try (Connection connection = context.getBean(DataSource.class).getConnection();
          Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(
              "SELECT count(*) FROM tokenkeeper_session WHERE subject = 'alice@example.com'")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getInt(1)).isEqualTo(1);
      }
    });
    runner().run(context -> assertThat(context.getBean(TokenService.class)
        .authenticate(token[0]).isAuthenticated()).isTrue());
  }
}
