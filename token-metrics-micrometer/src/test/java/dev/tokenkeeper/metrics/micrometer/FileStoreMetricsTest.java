package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.Durability;
import dev.tokenkeeper.store.file.FileTokenStore;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FileStoreMetrics} on a real {@link FileTokenStore} in a temporary directory, fsyncing for
 * real: each meter moves by what the test did to the store.
 */
class FileStoreMetricsTest {

  @TempDir Path dir;

  private final MutableClock clock = MutableClock.startingAt2026();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<FileTokenStore> stores = new ArrayList<>();

  @AfterEach
  void close() {
    stores.forEach(FileTokenStore::close);
  }

  /**
   * A store in {@code durability} mode whose uses wait in memory for an hour, its meters bound to
   * {@link #registry}.
   */
  private FileTokenStore open(Durability durability) {
    FileTokenStore store = FileTokenStore.builder().directory(dir.resolve("tokens"))
        .durability(durability).clock(clock).touchPersistInterval(Duration.ofHours(1)).build();
    stores.add(store);
    new FileStoreMetrics(store).bindTo(registry);
    return store;
  }

  private TokenService service(FileTokenStore store) {
    return TokenService.builder().store(store).clock(clock).build();
  }

  /** {@code count} logins, each its own session, through a service on {@code store}. */
  private List<IssuedToken> logins(FileTokenStore store, int count) {
    TokenService tokens = service(store);
    List<IssuedToken> issued = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      issued.add(tokens.issue("user" + i));
    }
    return issued;
  }

  private FunctionTimer fsyncs() {
    return registry.get("tokenkeeper.store.file.fsyncs").functionTimer();
  }

  private double recordsSynced() {
    return registry.get("tokenkeeper.store.file.records.synced").functionCounter().count();
  }

  @Test
  void fsyncs_syncMode_onePerLogin_eachMakingItsRecordDurable_andTheirTime() {
    FileTokenStore store = open(Durability.SYNC);
    double before = fsyncs().count();
    double recordsBefore = recordsSynced();
    logins(store, 3);
    assertEquals(before + 3, fsyncs().count());
    assertEquals(recordsBefore + 3, recordsSynced());
    // The registry keeps seconds as a double: nanoseconds come back within a rounding error.
    assertEquals(store.stats().fsyncNanosTotal(), fsyncs().totalTime(TimeUnit.NANOSECONDS), 0.5);
    assertTrue(fsyncs().totalTime(TimeUnit.NANOSECONDS) > 0, "an fsync takes some time");
  }

  @Test
  void fsyncs_noneMode_noneForLogins_oneForALogout_coveringEveryRecordBefore() {
    FileTokenStore store = open(Durability.NONE);
    double before = fsyncs().count();
    double recordsBefore = recordsSynced();
    List<IssuedToken> issued = logins(store, 3);
    assertEquals(before, fsyncs().count(), "NONE forces no login");
    service(store).revoke(issued.get(0).plaintext());
    assertEquals(before + 1, fsyncs().count(), "a logout is forced in every mode");
    assertEquals(recordsBefore + 4, recordsSynced(), "three logins and the logout");
  }

  @Test
  void touchBacklog_countsSessionsWithUnwrittenUses_untilAPurgeWritesThem() {
    FileTokenStore store = open(Durability.SYNC);
    Gauge backlog = registry.get("tokenkeeper.store.file.touch.backlog").gauge();
    List<IssuedToken> issued = logins(store, 3);
    assertEquals(0, backlog.value());
    for (IssuedToken token : issued.subList(0, 2)) {
      store.touch(token.session().id(), clock.instant().plusSeconds(60),
          token.session().expiresAt());
    }
    assertEquals(2, backlog.value());
    store.purgeExpired(clock.instant());
    assertEquals(0, backlog.value());
  }

  @Test
  void compactions_countedWithTheirTime_andTheLogSizeFollowsTheLogFile() throws Exception {
    FileTokenStore store = open(Durability.SYNC);
    service(store).issue("alice");
    FunctionTimer compactions = registry.get("tokenkeeper.store.file.compactions").functionTimer();
    Gauge logSize = registry.get("tokenkeeper.store.file.log.size").gauge();
    assertEquals(0, compactions.count());
    assertEquals("bytes", logSize.getId().getBaseUnit());
    double grown = logSize.value();
    assertEquals(Files.size(dir.resolve("tokens/log-0000000001")), grown);

    store.compact();
    store.compact();
    assertEquals(2, compactions.count());
    assertTrue(compactions.totalTime(TimeUnit.NANOSECONDS) > 0);
    assertTrue(logSize.value() < grown, "a compaction starts a fresh log: " + logSize.value());
  }

  @Test
  void prometheus_showsTheDocumentedNames_withTheGivenTags() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    FileTokenStore store = open(Durability.SYNC);
    new FileStoreMetrics(store, Tags.of("store", "sessions")).bindTo(prometheus);
    logins(store, 2);
    PrometheusPage.assertHolds(prometheus.scrape(),
        "tokenkeeper_store_file_fsyncs_seconds_count{store=\"sessions\"} 2\n",
        "tokenkeeper_store_file_fsyncs_seconds_sum{store=\"sessions\"} ",
        "tokenkeeper_store_file_records_synced_total{store=\"sessions\"} 2.0\n",
        "tokenkeeper_store_file_touch_backlog{store=\"sessions\"} 0.0\n",
        "tokenkeeper_store_file_compactions_seconds_count{store=\"sessions\"} 0\n",
        "tokenkeeper_store_file_log_size_bytes{store=\"sessions\"} "
            + (double) store.stats().logBytes() + "\n");
  }

  @Test
  void fileStoreMetrics_nullArguments_areRefused() {
    FileTokenStore store = open(Durability.SYNC);
    assertThrows(NullPointerException.class, () -> new FileStoreMetrics(null));
    assertThrows(NullPointerException.class, () -> new FileStoreMetrics(store, null));
  }
}
