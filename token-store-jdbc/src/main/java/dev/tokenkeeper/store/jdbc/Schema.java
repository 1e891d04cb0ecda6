package dev.tokenkeeper.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the tables when they are missing (the builder's {@code createSchemaIfMissing}), from
 * the same versioned resource a Flyway or Liquibase migration would run, so both paths make one
 * schema. Creation is one transaction under a database-wide lock: two instances starting on an
 * empty database create it once, and a failure leaves nothing half made.
 *
 * <p>Stateless; its methods are thread-safe.
 */
final class Schema {

  private static final Logger LOG = LoggerFactory.getLogger(Schema.class);

  private Schema() {}

  /** Creates the schema on {@code connection} unless its tables exist; returns whether it did. */
  static boolean createIfMissing(Connection connection, Dialect dialect) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute(dialect.schemaLock);
      boolean present;
      try (ResultSet row = statement.executeQuery(dialect.schemaPresent)) {
        present = row.next() && row.getBoolean(1);
      }
      if (!present) {
        for (String ddl : statements(dialect.schemaResource)) {
          statement.execute(ddl);
        }
      }
      connection.commit();
      if (!present) {
        LOG.info("Created the Tokenkeeper schema ({}) in {}", dialect.schemaResource,
            dialect.name);
      }
      return !present;
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /** The statements of a schema resource: comments dropped, split at each line-ending ';'. */
  static List<String> statements(String resource) {
    String text;
    try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("schema resource missing from the jar: " + resource);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      int comment = line.indexOf("--");
      String code = (comment < 0 ? line : line.substring(0, comment)).strip();
      if (code.isEmpty()) {
        continue;
      }
      current.append(current.length() == 0 ? "" : "\n").append(code);
      if (code.endsWith(";")) {
        current.setLength(current.length() - 1);
        statements.add(current.toString());
        current.setLength(0);
      }
    }
    if (current.length() > 0) {
      statements.add(current.toString());
    }
    return statements;
  }
}
