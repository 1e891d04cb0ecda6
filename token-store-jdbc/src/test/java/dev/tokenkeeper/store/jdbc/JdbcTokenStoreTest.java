package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The store, its service and the logout races, each contract run against a real PostgreSQL
 * server: every rule holds in SQL, across reopen (a new store on the same database).
 */
class JdbcTokenStoreTest
    implements TokenStoreContract, TokenServiceContract, SessionRaceContract {

  private static PostgresServer server;
  private static TestPool pool;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build().close();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void emptyTables() throws Exception {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE tokenkeeper_token, tokenkeeper_session");
    }
  }

  @Override
  public TokenStore newStore(Clock clock) {
    return JdbcTokenStore.builder().dataSource(pool).build();
  }

  @Override
  public TokenStore reopen(TokenStore store) {
    store.close();
    return JdbcTokenStore.builder().dataSource(((JdbcTokenStore) store).dataSource()).build();
  }
}
