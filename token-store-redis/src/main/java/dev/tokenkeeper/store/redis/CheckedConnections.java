package dev.tokenkeeper.store.redis;

import java.net.SocketTimeoutException;
import java.time.Duration;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.PooledObjectFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The pool's factory of connections: Jedis's, plus a check on borrow of a connection that sat
 * idle in the pool for {@code idleWindow} or more. Such a connection may be dead (Redis restarted
 * while nobody called), and a write sent on it could fail after Redis had or had not run it. A
 * {@code PING} first proves it alive or dead before anything is sent; a dead one is dropped and
 * the write goes on a fresh connection. Connections used within the window are trusted, as
 * HikariCP trusts those used within its 500 ms.
 *
 * <p>One timeout per call: if that {@code PING} times out, Redis is frozen, not restarted; the
 * borrow then fails at once instead of opening a connection whose handshake would time out
 * again, and idle connections met afterwards in the same borrow are dropped without a
 * {@code PING}. The caller ends each call with {@link #forget()}.
 *
 * <p>Thread-safe: the one piece of state, a timed-out {@code PING}, belongs to the borrowing
 * thread.
 */
final class CheckedConnections implements PooledObjectFactory<Connection> {

  private final ConnectionFactory jedis;
  private final Duration idleWindow;
  private final ThreadLocal<JedisConnectionException> unanswered = new ThreadLocal<>();

  CheckedConnections(ConnectionFactory jedis, Duration idleWindow) {
    this.jedis = jedis;
    this.idleWindow = idleWindow;
  }

  @Override
  public PooledObject<Connection> makeObject() throws Exception {
    JedisConnectionException frozen = unanswered.get();
    if (frozen != null) {
      unanswered.remove();
      throw new JedisConnectionException("Redis did not answer PING: " + frozen.getMessage(),
          frozen);
    }
    return jedis.makeObject();
  }

  @Override
  public boolean validateObject(PooledObject<Connection> pooled) {
    Connection connection = pooled.getObject();
    if (!connection.isConnected() || connection.isBroken() || unanswered.get() != null) {
      return false;
    }
    if (pooled.getIdleDuration().compareTo(idleWindow) < 0) {
      return true;
    }
    try {
      return connection.ping();
    } catch (JedisConnectionException e) {
      if (isTimeout(e)) {
        unanswered.set(e);
      }
      return false;
    } catch (JedisException e) {
      return false;
    }
  }

  /** Ends a call: a timed-out {@code PING} of this thread's borrow is forgotten. */
  void forget() {
    unanswered.remove();
  }

  @Override
  public void activateObject(PooledObject<Connection> pooled) throws Exception {
    jedis.activateObject(pooled);
  }

  @Override
  public void passivateObject(PooledObject<Connection> pooled) throws Exception {
    jedis.passivateObject(pooled);
  }

  @Override
  public void destroyObject(PooledObject<Connection> pooled) throws Exception {
    jedis.destroyObject(pooled);
  }

  /** Whether {@code e} is a timeout (connect or read) rather than a dead connection. */
  static boolean isTimeout(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }
}
