package dev.tokenkeeper.core;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test of a store contract, run over the {@link StoreHarness} axes it declares: always as it is
 * and, if {@link #underFaults()}, once more on the fault axis ({@link FaultAxis}). Published in
 * token-core's test-jar.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(FaultAxis.class)
public @interface ContractTest {

  /**
   * Whether the test also runs with store calls failing at random. Such a test must let a store
   * failure reach it unwrapped (no {@code assertThrows} around store calls, no racing threads
   * that wrap what they throw): the fault ends the test, and the validation checks the rest.
   */
  boolean underFaults() default false;
}
