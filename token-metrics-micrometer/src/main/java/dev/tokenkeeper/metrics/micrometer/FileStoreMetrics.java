package dev.tokenkeeper.metrics.micrometer;

import dev.tokenkeeper.store.file.FileStoreStats;
import dev.tokenkeeper.store.file.FileTokenStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Binds a {@link FileTokenStore}'s own figures ({@link FileTokenStore#stats()}) to Micrometer: how
 * its group commit does, the uses waiting in memory, its compactions and the size of its log.
 *
 * <pre>{@code
 * new FileStoreMetrics(fileStore).bindTo(registry);   // or a @Bean: Spring Boot binds it
 * }</pre>
 *
 * <table>
 *   <caption>Meters (Prometheus adds {@code _seconds_count} and {@code _seconds_sum} to function
 *   timers, {@code _total} to counters, {@code _bytes} to the log size)</caption>
 *   <tr><th>name</th><th>type</th><th>shows</th></tr>
 *   <tr><td>{@code tokenkeeper.store.file.fsyncs}</td><td>function timer</td>
 *       <td>fsyncs of the log and their total time: the mean fsync over any window is the rate of
 *       the sum over the rate of the count</td></tr>
 *   <tr><td>{@code tokenkeeper.store.file.records.synced}</td><td>function counter</td>
 *       <td>records those fsyncs made durable: over the fsyncs' count, records per fsync</td></tr>
 *   <tr><td>{@code tokenkeeper.store.file.touch.backlog}</td><td>gauge</td>
 *       <td>sessions whose last use waits in memory to be written</td></tr>
 *   <tr><td>{@code tokenkeeper.store.file.compactions}</td><td>function timer</td>
 *       <td>compactions completed and their total time</td></tr>
 *   <tr><td>{@code tokenkeeper.store.file.log.size}</td><td>gauge, bytes</td>
 *       <td>the current log's size as of its last write</td></tr>
 * </table>
 *
 * <p>Counts since the store was opened, as the store keeps them; a restart starts them again
 * from zero, which Prometheus's {@code rate} and {@code increase} read as a counter reset. Function
 * meters because the store already keeps each total: a scrape reads them, and no write path
 * records anything for Micrometer. The longest fsync since open ({@link
 * FileStoreStats#fsyncNanosMax()}) is left out: a maximum that never comes down would go on
 * showing one slow fsync at start-up and could not show a current spike.
 *
 * <p>token-store-file is an optional dependency of this module, as the libraries Micrometer's own
 * binders bind are of micrometer-core: an application with the file store has it, and others
 * never load this class.
 *
 * <p>Holds the store weakly, as Micrometer's binders hold what they measure: the meters do not
 * keep a store the application let go (they show no value then). Each meter reads
 * {@link FileTokenStore#stats()}, which does not stop writers. Thread-safe; bind it to as many
 * registries as needed.
 */
public final class FileStoreMetrics implements MeterBinder {

  private final FileTokenStore store;
  private final Tags tags;

  /**
   * Meters of {@code store}, without tags.
   *
   * @throws NullPointerException if {@code store} is {@code null}
   */
  public FileStoreMetrics(FileTokenStore store) {
    this(store, Tags.empty());
  }

  /**
   * Meters of {@code store}, each with {@code tags} (to tell several stores apart, say).
   *
   * @throws NullPointerException if an argument is {@code null}
   */
  public FileStoreMetrics(FileTokenStore store, Iterable<Tag> tags) {
    this.store = Objects.requireNonNull(store, "store");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  /** Registers the meters on {@code registry}. */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionTimer.builder("tokenkeeper.store.file.fsyncs", store,
            s -> s.stats().fsyncs(), s -> s.stats().fsyncNanosTotal(), TimeUnit.NANOSECONDS)
        .description("fsyncs of the token store's log and the time they took")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder("tokenkeeper.store.file.records.synced", store,
            s -> s.stats().recordsSynced())
        .description("records the fsyncs made durable; per fsync, how well writers share them")
        .tags(tags)
        .register(registry);
    Gauge.builder("tokenkeeper.store.file.touch.backlog", store, s -> s.stats().touchBacklog())
        .description("sessions whose last use waits in memory to be written to the log")
        .tags(tags)
        .register(registry);
    FunctionTimer.builder("tokenkeeper.store.file.compactions", store,
            s -> s.stats().compactions(), s -> s.stats().compactionNanosTotal(),
            TimeUnit.NANOSECONDS)
        .description("compactions of the token store and the time they took")
        .tags(tags)
        .register(registry);
    Gauge.builder("tokenkeeper.store.file.log.size", store, s -> s.stats().logBytes())
        .description("size of the token store's current log")
        .baseUnit(BaseUnits.BYTES)
        .tags(tags)
        .register(registry);
  }
}
