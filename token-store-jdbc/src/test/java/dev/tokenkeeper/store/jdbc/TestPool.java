package dev.tokenkeeper.store.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A small connection pool for the tests, so they measure the store and not connection setup; the
 * store's own dependencies stay at {@code java.sql}. It behaves as production pools do where the
 * tests depend on it: a connection idle for over half a second is validated before it is lent
 * (so the pool recovers after a server restart), a connection the driver has closed after a
 * failure is dropped, and one returned with an open transaction is rolled back.
 *
 * <p>Thread-safe.
 */
final class TestPool implements DataSource, AutoCloseable {

  private static final long VALIDATE_AFTER_NANOS = 500_000_000L;

  private record Idle(Connection connection, long since) {}

  private final String url;
  private final Deque<Idle> idle = new ConcurrentLinkedDeque<>();

  /** {@code url} should carry the driver's connect and socket timeouts. */
  TestPool(String url) {
    this.url = url;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Idle candidate;
    while ((candidate = idle.pollFirst()) != null) {
      Connection connection = candidate.connection();
      boolean stale = System.nanoTime() - candidate.since() > VALIDATE_AFTER_NANOS;
      if (!connection.isClosed() && (!stale || connection.isValid(2))) {
        return lend(connection);
      }
      closeQuietly(connection);
    }
    return lend(DriverManager.getConnection(url));
  }

  private Connection lend(Connection physical) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
          if (method.getName().equals("close") && method.getParameterCount() == 0) {
            giveBack(physical);
            return null;
          }
          try {
            return method.invoke(physical, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private void giveBack(Connection physical) {
    try {
      if (physical.isClosed()) {
        return;
      }
      if (!physical.getAutoCommit()) {
        physical.rollback();
        physical.setAutoCommit(true);
      }
      idle.addFirst(new Idle(physical, System.nanoTime()));
    } catch (SQLException e) {
      closeQuietly(physical);
    }
  }

  @Override
  public void close() {
    Idle candidate;
    while ((candidate = idle.pollFirst()) != null) {
      closeQuietly(candidate.connection());
    }
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // Already broken.
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("credentials are in the URL");
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
