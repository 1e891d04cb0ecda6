package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What two demo instances on one shared store (Redis, PostgreSQL) must show, whichever store it
 * is: they act as one server behind a load balancer.
 */
final class SharedStoreChecks {

  private SharedStoreChecks() {}

  /** A token from either instance works on both; a logout everywhere on one holds on both. */
  static void tokensWorkOnBoth_andLogoutEverywhereHoldsOnBoth(DemoServer first,
      DemoServer second) {
    DemoClient a = new DemoClient(first.uri());
    DemoClient b = new DemoClient(second.uri());
    String laptop = a.token("alice@example.com", "wonderland");
    String phone = b.token("alice@example.com", "wonderland");
    assertEquals(200, b.send("GET", "/api/proposals", laptop, null).statusCode());
    assertEquals(200, a.send("GET", "/api/proposals", phone, null).statusCode());

    assertEquals(204, b.send("POST", "/auth/logout-all", laptop, null).statusCode());
    assertEquals(401, a.send("GET", "/api/proposals", laptop, null).statusCode());
    assertEquals(401, a.send("GET", "/api/proposals", phone, null).statusCode());
    assertEquals(401, b.send("GET", "/api/proposals", phone, null).statusCode());
  }

  /** Closes each, in order, going on past failures: the servers, then their store. */
  static void closeAll(AutoCloseable... closeables) {
    for (AutoCloseable closeable : closeables) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
  }
}
