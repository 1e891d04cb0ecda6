package dev.tokenkeeper.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.metrics.micrometer.FileStoreMetrics;
import dev.tokenkeeper.metrics.micrometer.RedisStoreMetrics;
import dev.tokenkeeper.store.file.FileTokenStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The store's own meters under Boot's metrics support, which binds every MeterBinder bean to its
 * registry: the file store's when it is the store in use, none for a store without such figures,
 * and the application's own binder instead of the starter's.
 */
class StoreMetricsTest {

  /** Boot's metrics support as the actuator brings it, with the starter's configurations. */
  static final AutoConfigurations WITH_METRICS = AutoConfigurations.of(
      MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
      CompositeMeterRegistryAutoConfiguration.class, TokenkeeperAutoConfiguration.class,
      TokenkeeperMetricsAutoConfiguration.class);

  @TempDir
  Path temp;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner().withConfiguration(WITH_METRICS)
        .withPropertyValues("tokenkeeper.store.file.directory=" + temp.resolve("tokens"));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnFileStoreMetrics {
    @Bean
    FileStoreMetrics ownFileStoreMetrics(FileTokenStore store) {
      return new FileStoreMetrics(store, Tags.of("store", "own"));
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnStore {
    @Bean
    TokenStore ownStore() {
      return new InMemoryTokenStore();
    }
  }

  @Test
  void fileStore_itsMetersBound_fsyncsCountAnIssue() {
    runner().run(context -> {
      assertThat(context).hasSingleBean(FileStoreMetrics.class);
      assertThat(context).doesNotHaveBean(RedisStoreMetrics.class);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      for (String name : new String[] {"tokenkeeper.store.file.fsyncs",
          "tokenkeeper.store.file.records.synced", "tokenkeeper.store.file.touch.backlog",
          "tokenkeeper.store.file.compactions", "tokenkeeper.store.file.log.size"}) {
        assertThat(registry.find(name).meter()).as(name).isNotNull();
      }
      FunctionTimer fsyncs = registry.get("tokenkeeper.store.file.fsyncs").functionTimer();
      FunctionCounter synced =
          registry.get("tokenkeeper.store.file.records.synced").functionCounter();
      double fsyncsBefore = fsyncs.count();
      double syncedBefore = synced.count();

      context.getBean(TokenService.class).issue("alice");

      // The default durability forces each acknowledged write to disk before issue returns.
      assertThat(fsyncs.count()).isGreaterThan(fsyncsBefore);
      assertThat(synced.count()).isGreaterThan(syncedBefore);
      assertThat(registry.get("tokenkeeper.store.file.log.size").gauge().value()).isPositive();
    });
  }

  @Test
  void ownFileStoreMetrics_isUsed_starterBacksOff() {
    runner().withUserConfiguration(OwnFileStoreMetrics.class).run(context -> {
      assertThat(context).hasSingleBean(FileStoreMetrics.class);
      assertThat(context).hasBean("ownFileStoreMetrics");
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.find("tokenkeeper.store.file.fsyncs").meters())
          .singleElement()
          .satisfies(meter -> assertThat(meter.getId().getTag("store")).isEqualTo("own"));
    });
  }

  @Test
  void memoryStore_noStoreMeters() {
    runner().withPropertyValues("tokenkeeper.store.type=memory").run(context -> {
      assertThat(context).doesNotHaveBean(FileStoreMetrics.class);
      assertThat(context).doesNotHaveBean(RedisStoreMetrics.class);
      assertThat(context.getBean(MeterRegistry.class).find("tokenkeeper.store.file.fsyncs").meter())
          .isNull();
    });
  }

  @Test
  void ownStore_notAFileStore_noFileStoreMeters() {
    runner().withUserConfiguration(OwnStore.class).run(context -> {
      assertThat(context).hasBean("ownStore");
      assertThat(context).doesNotHaveBean(FileStoreMetrics.class);
      assertThat(context).doesNotHaveBean(RedisStoreMetrics.class);
    });
  }
}
