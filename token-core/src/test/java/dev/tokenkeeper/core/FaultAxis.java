package dev.tokenkeeper.core;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Runs each {@link ContractTest} over the fault axis: once with no fault but those the test
 * scripts, and, for a test marked {@link ContractTest#underFaults()}, once more with the
 * harness's {@link StoreHarness#injectedFaults} drawn from a printed seed ({@link TestSeed}).
 * That run picks its fault among the writes the first run counted. A fault the injector threw
 * ends the test without failing it; any other exception fails it, a
 * {@link StoreUnavailableException} the injector did not throw included. The harness's
 * validation then checks that nothing acknowledged was lost or undone.
 */
final class FaultAxis implements TestTemplateInvocationContextProvider {

  private static final ExtensionContext.Namespace WRITES =
      ExtensionContext.Namespace.create(FaultAxis.class, "writes");

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return AnnotationSupport.isAnnotated(context.getTestMethod(), ContractTest.class);
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
    boolean underFaults = AnnotationSupport
        .findAnnotation(context.getRequiredTestMethod(), ContractTest.class)
        .orElseThrow().underFaults();
    if (!underFaults) {
      return Stream.of(new Invocation("no faults", List.of()));
    }
    String test = context.getRequiredTestClass().getSimpleName() + "."
        + context.getRequiredTestMethod().getName();
    long seed = TestSeed.of(test + " under faults");
    return Stream.of(new Invocation("no faults", List.of(new CountingWrites())),
        new Invocation("injected faults, " + TestSeed.replay(seed),
            List.of(new Injecting(seed, test))));
  }

  private static StoreHarness harness(ExtensionContext context) {
    return (StoreHarness) context.getRequiredTestInstance();
  }

  /** Where the runs of one test template leave what the next one needs. */
  private static ExtensionContext.Store store(ExtensionContext invocation) {
    return invocation.getParent().orElseThrow().getStore(WRITES);
  }

  /** One run of a contract test. */
  private record Invocation(String name, List<Extension> extensions)
      implements TestTemplateInvocationContext {

    @Override
    public String getDisplayName(int index) {
      return name;
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      return extensions;
    }
  }

  /** Counts the writes of the run without faults, for the run with faults to pick from. */
  private static final class CountingWrites implements AfterTestExecutionCallback {
    @Override
    public void afterTestExecution(ExtensionContext context) {
      store(context).put("count", harness(context).faults().calls(FaultInjector.WRITES));
    }
  }

  /** Puts the test on the fault axis and tolerates the faults it injects, and only those. */
  private record Injecting(long seed, String test)
      implements BeforeEachCallback, TestExecutionExceptionHandler {

    @Override
    public void beforeEach(ExtensionContext context) {
      Integer writes = store(context).get("count", Integer.class);
      StoreHarness harness = harness(context);
      StoreHarness.Run.inject(harness,
          harness.injectedFaults(seed, writes == null ? 0 : writes));
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure)
        throws Throwable {
      FaultInjector faults = harness(context).faults();
      if (!faults.injected(failure)) {
        throw failure;
      }
      System.out.println(test + " ended by an injected fault " + faults.injected() + ", "
          + TestSeed.replay(seed));
    }
  }
}
