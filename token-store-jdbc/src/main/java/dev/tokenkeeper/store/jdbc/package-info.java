/**
 * A {@link dev.tokenkeeper.core.TokenStore} kept in a relational database (PostgreSQL) through
 * the application's {@link javax.sql.DataSource}, so several application instances share one set
 * of sessions. The one public type is {@link dev.tokenkeeper.store.jdbc.JdbcTokenStore} and its
 * builder; the schema ships as {@code db/tokenkeeper/V1__tokenkeeper.sql}.
 */
package dev.tokenkeeper.store.jdbc;
