package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import dev.tokenkeeper.core.TwoInstancesContract;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The store, its service and the logout races, each contract run against a real PostgreSQL
 * server: every rule holds in SQL, across reopen (a new store on the same database), across a
 * crash of the instance, and across two instances on two pools. Subclasses run the same
 * contracts with other builder options ({@link #configure}).
 */
class JdbcTokenStoreTest implements TokenStoreContract, TokenServiceContract,
    SessionRaceContract, TwoInstancesContract {

  static PostgresServer server;
  static TestPool pool;
  /** The second instance's pool: another application process on the same database. */
  static TestPool secondPool;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    secondPool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build().close();
  }

  @AfterAll
  static void stopServer() throws Exception {
    for (TestPool each : new TestPool[] {pool, secondPool}) {
      if (each != null) {
        each.close();
      }
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

  /** The options under test beyond the pool and clock: none here. */
  JdbcTokenStore.Builder configure(JdbcTokenStore.Builder builder) {
    return builder;
  }

  /** A store with this class's options on the shared pool, reading {@code clock}. */
  JdbcTokenStore.Builder builder(Clock clock) {
    return configure(JdbcTokenStore.builder().dataSource(pool).clock(clock));
  }

  @Override
  public TokenStore newStore(Clock clock) {
    return builder(clock).build();
  }

  @Override
  public TokenStore reopen(TokenStore store) {
    store.close();
    return newStore(clock());
  }

  @Override
  public TokenStore secondInstance(TokenStore first) {
    return configure(JdbcTokenStore.builder().dataSource(secondPool).clock(clock())).build();
  }

  /**
   * A crash of this instance, not of the database: the store is dropped without a close (its
   * buffered touches never written) and a new one opens on the same database.
   */
  @Override
  public TokenStore reopenAfterCrash(TokenStore store) {
    ((JdbcTokenStore) store).abandon();
    return newStore(clock());
  }
}
