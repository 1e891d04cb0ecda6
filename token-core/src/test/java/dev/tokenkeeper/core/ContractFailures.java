package dev.tokenkeeper.core;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the contract tests of a harness class (a deliberately broken store, say) in a JUnit
 * launcher of its own and names those that failed: how the broken-store tests show that each
 * contract bites. Each run prints one line, {@code caught: HARNESS by [TESTS]}, so a build's
 * output holds the table of which contract test catches which broken store. Published in
 * token-core's test-jar.
 */
public final class ContractFailures {

  private ContractFailures() {}

  /**
   * The names of the test methods of {@code harness} that failed. A test skipped by an assumption
   * (a hook the harness does not offer) is not counted: it caught nothing.
   */
  public static Set<String> of(Class<?> harness) {
    return run(harness, List.of(selectClass(harness)));
  }

  /** As {@link #of(Class)}, running only the test methods named {@code methods}. */
  public static Set<String> of(Class<?> harness, String... methods) {
    return run(harness, Arrays.stream(methods)
        .map(m -> (DiscoverySelector) selectMethod(harness, m)).toList());
  }

  private static Set<String> run(Class<?> harness, List<DiscoverySelector> selectors) {
    Set<String> failed = Collections.synchronizedSet(new TreeSet<>());
    Set<String> aborted = Collections.synchronizedSet(new TreeSet<>());
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(selectors).build(), new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (test.getSource().orElse(null) instanceof MethodSource method) {
              switch (result.getStatus()) {
                case FAILED -> failed.add(method.getMethodName());
                case ABORTED -> aborted.add(method.getMethodName());
                default -> { }
              }
            }
          }
        });
    Set<String> names = new TreeSet<>(failed);
    System.out.println("caught: " + harness.getSimpleName() + " by " + names
        + (aborted.isEmpty() ? "" : "; skipped (not caught): " + new TreeSet<>(aborted)));
    return names;
  }
}
