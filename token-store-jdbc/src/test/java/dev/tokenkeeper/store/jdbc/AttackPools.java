package dev.tokenkeeper.store.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * DataSource wrappers for the attack tests: a pool configured as many applications configure
 * theirs ({@code autoCommit=false}), and a fault injector that runs a hook before or after a
 * chosen JDBC call (a statement by its SQL, a commit), e.g. to throw, or to crash or freeze the
 * server at that exact point.
 */
final class AttackPools {

  private AttackPools() {}

  /** What a fault hook sees: the call, and the SQL of the statement when it is one. */
  interface Hook {
    /** Runs before ({@code after == false}) or after the call; may throw SQLException. */
    void on(String call, String sql, boolean after) throws Exception;
  }

  /**
   * Lends connections with auto-commit off, as HikariCP does with {@code autoCommit=false} (a
   * common setting under JPA/Spring); the wrapped pool rolls back a connection returned with an
   * open transaction, as HikariCP does.
   */
  static DataSource autoCommitOff(DataSource pool) {
    return new Wrapping(pool) {
      @Override
      Connection lend(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        return connection;
      }
    };
  }

  /** A pool whose connections run {@code hook.get()} (when set) around every call. */
  static DataSource faulty(DataSource pool, AtomicReference<Hook> hook) {
    return new Wrapping(pool) {
      @Override
      Connection lend(Connection connection) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class}, (proxy, method, args) -> {
              Hook h = hook.get();
              String name = method.getName();
              if (name.equals("prepareStatement")) {
                String sql = (String) args[0];
                PreparedStatement statement =
                    (PreparedStatement) invoke(connection, method, args);
                return statement(statement, sql, hook);
              }
              if (h != null && (name.equals("commit") || name.equals("rollback"))) {
                h.on(name, null, false);
              }
              Object result = invoke(connection, method, args);
              if (h != null && (name.equals("commit") || name.equals("rollback"))) {
                h.on(name, null, true);
              }
              return result;
            });
      }
    };
  }

  private static PreparedStatement statement(PreparedStatement statement, String sql,
      AtomicReference<Hook> hook) {
    return (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, (proxy, method, args) -> {
          Hook h = hook.get();
          boolean executes = method.getName().startsWith("execute");
          if (h != null && executes) {
            h.on(method.getName(), sql, false);
          }
          Object result = invoke(statement, method, args);
          if (h != null && executes) {
            h.on(method.getName(), sql, true);
          }
          return result;
        });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private abstract static class Wrapping implements DataSource {

    private final DataSource pool;

    Wrapping(DataSource pool) {
      this.pool = pool;
    }

    abstract Connection lend(Connection connection) throws SQLException;

    @Override
    public Connection getConnection() throws SQLException {
      return lend(pool.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return false;
    }
  }
}
