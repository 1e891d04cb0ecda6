package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SecurityEvent.Operation;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SecurityEventsTest {

  private final MutableClock clock = MutableClock.startingAt2026();
  private final Outage store = new Outage();
  private final List<Object> heard = new CopyOnWriteArrayList<>();
  private final SecurityEventListener recorder = recorder(heard, true);
  private final TokenService tokens = TokenService.builder().store(store).clock(clock)
      .eventListeners(recorder).build();

  /** What {@link SecurityEventListener#onAuthenticated} was told, as a recorder keeps it. */
  record Accepted(Session session) {}

  /**
   * A listener keeping every event and acceptance in {@code heard}, in order; {@code inline}, it
   * has heard a call's events when the call returns, so this class's tests can read them at once.
   */
  static SecurityEventListener recorder(List<Object> heard, boolean inline) {
    return new SecurityEventListener() {
      @Override
      public boolean deliverInline() {
        return inline;
      }

      @Override
      public void onEvent(SecurityEvent event) {
        heard.add(event);
      }

      @Override
      public void onAuthenticated(Session session) {
        heard.add(new Accepted(session));
      }
    };
  }

  /** A store that fails every call while {@code down}. */
  static final class Outage extends ForwardingTokenStore {
    Outage() {
      super(new InMemoryTokenStore());
    }

    volatile boolean down;

    private void check() {
      if (down) {
        throw new StoreUnavailableException("store down (test)");
      }
    }

    @Override
    public void create(SessionRecord session, List<TokenRecord> tokens) {
      check();
      super.create(session, tokens);
    }

    @Override
    public Optional<TokenEntry> find(TokenHash hash) {
      check();
      return super.find(hash);
    }

    @Override
    public Optional<SessionRecord> findSession(SessionId id) {
      check();
      return super.findSession(id);
    }

    @Override
    public List<SessionRecord> findSessions(String subject) {
      check();
      return super.findSessions(subject);
    }

    @Override
    public boolean rotate(Rotation rotation) {
      check();
      return super.rotate(rotation);
    }

    @Override
    public boolean revokeSession(SessionId id, Instant at) {
      check();
      return super.revokeSession(id, at);
    }

    @Override
    public int revokeAll(String subject, Instant at) {
      check();
      return super.revokeAll(subject, at);
    }

    @Override
    public int purgeExpired(Instant now) {
      check();
      return super.purgeExpired(now);
    }
  }

  private static String fingerprint(String plaintext) {
    return TokenHash.sha256(plaintext).fingerprint();
  }

  /** The one event heard since the last call, cleared. */
  private <T> T only(Class<T> type) {
    assertEquals(1, heard.size(), () -> "expected one " + type.getSimpleName() + ": " + heard);
    T event = assertInstanceOf(type, heard.get(0));
    heard.clear();
    return event;
  }

  @Test
  void issue_reportsIssued_withTheTokensFingerprintOnly() {
    IssuedToken issued = tokens.issue("alice", "Firefox");
    SecurityEvent.Issued event = only(SecurityEvent.Issued.class);
    assertEquals(new SecurityEvent.Issued(clock.instant(), "alice", issued.session().id(),
        fingerprint(issued.plaintext()), null), event);
  }

  @Test
  void issuePair_reportsBothFingerprints() {
    IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
    SecurityEvent.Issued event = only(SecurityEvent.Issued.class);
    assertEquals(fingerprint(pair.access().plaintext()), event.tokenFingerprint());
    assertEquals(fingerprint(pair.refreshPlaintext()), event.refreshFingerprint());
    assertEquals(pair.session().id(), event.sessionId());
  }

  @Test
  void authenticate_eachOutcome_isExactlyOneEvent() {
    TokenService bound = tokens.toBuilder().clientBinding(ClientBinding.Policy.exactAddress())
        .build();
    Client home = new Client("192.0.2.1", "ua");
    IssuedToken issued = bound.issue("alice", null, home);
    String other = TokenService.builder().store(new InMemoryTokenStore()).build()
        .issue("mallory").plaintext();
    heard.clear();

    AuthResult accepted = bound.authenticate(issued.plaintext(), home);
    assertEquals(new AuthResult.Authenticated(only(Accepted.class).session()), accepted);

    bound.authenticate("tk_garbage", home);
    SecurityEvent.Refused malformed = only(SecurityEvent.Refused.class);
    assertEquals(AuthResult.Reason.MALFORMED, malformed.reason());
    assertNull(malformed.tokenFingerprint());
    assertNull(malformed.subject());

    bound.authenticate(other, home);
    SecurityEvent.Refused unknown = only(SecurityEvent.Refused.class);
    assertEquals(new SecurityEvent.Refused(clock.instant(), Operation.AUTHENTICATE,
        AuthResult.Reason.UNKNOWN, fingerprint(other), null, null), unknown);

    bound.authenticate(issued.plaintext(), new Client("198.51.100.7", "ua"));
    assertEquals(new SecurityEvent.ClientMismatch(clock.instant(), Operation.AUTHENTICATE,
        "alice", issued.session().id(), fingerprint(issued.plaintext())),
        only(SecurityEvent.ClientMismatch.class));

    clock.advance(TokenService.DEFAULT_ABSOLUTE_TTL);
    bound.authenticate(issued.plaintext(), home);
    SecurityEvent.Refused expired = only(SecurityEvent.Refused.class);
    assertEquals(AuthResult.Reason.EXPIRED, expired.reason());
    assertEquals("alice", expired.subject());
    assertEquals(issued.session().id(), expired.sessionId());

    IssuedToken second = bound.issue("alice", null, home);
    bound.revoke(second.plaintext());
    heard.clear();
    bound.authenticate(second.plaintext(), home);
    SecurityEvent.Refused revoked = only(SecurityEvent.Refused.class);
    assertEquals(AuthResult.Reason.REVOKED, revoked.reason());
    assertEquals(fingerprint(second.plaintext()), revoked.tokenFingerprint());
  }

  @Test
  void refresh_rotationRetryAndReuse_reportInOrder() {
    IssuedPair first = tokens.issuePair("alice", null, Client.UNKNOWN);
    String stolen = first.refreshPlaintext();
    heard.clear();

    IssuedPair second = ((RefreshResult.Refreshed) tokens.refresh(stolen, Client.UNKNOWN)).pair();
    assertEquals(new SecurityEvent.Refreshed(clock.instant(), "alice", first.session().id(),
        fingerprint(stolen), fingerprint(second.refreshPlaintext()), false),
        only(SecurityEvent.Refreshed.class));

    clock.advance(Duration.ofSeconds(5));
    tokens.refresh(stolen, Client.UNKNOWN);
    SecurityEvent.Refreshed retry = only(SecurityEvent.Refreshed.class);
    assertTrue(retry.retry());
    assertEquals(fingerprint(second.refreshPlaintext()), retry.newRefreshFingerprint());

    clock.advance(Duration.ofSeconds(30));
    assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REUSED),
        tokens.refresh(stolen, Client.UNKNOWN));
    assertEquals(List.of(
        new SecurityEvent.ReuseDetected(clock.instant(), "alice", first.session().id(),
            fingerprint(stolen)),
        new SecurityEvent.Revoked(clock.instant(), "alice", first.session().id(),
            RevocationCause.REUSE)), heard);
    heard.clear();

    tokens.refresh(second.refreshPlaintext(), Client.UNKNOWN);
    SecurityEvent.Refused revoked = only(SecurityEvent.Refused.class);
    assertEquals(Operation.REFRESH, revoked.operation());
    assertEquals(AuthResult.Reason.REVOKED, revoked.reason());

    tokens.refresh("tkr_nonsense", Client.UNKNOWN);
    assertEquals(AuthResult.Reason.MALFORMED, only(SecurityEvent.Refused.class).reason());
  }

  @Test
  void revokeSession_reportsItsCause_onlyWhenALiveSessionEnded() {
    IssuedToken issued = tokens.issue("alice");
    heard.clear();
    assertFalse(tokens.revokeSession("bob", issued.session().id(), RevocationCause.CAP));
    assertTrue(heard.isEmpty(), heard::toString);

    assertTrue(tokens.revokeSession("alice", issued.session().id(), RevocationCause.CAP));
    assertEquals(new SecurityEvent.Revoked(clock.instant(), "alice", issued.session().id(),
        RevocationCause.CAP), only(SecurityEvent.Revoked.class));

    assertFalse(tokens.revokeSession("alice", issued.session().id()));
    assertTrue(heard.isEmpty(), "a second revoke ended nothing: " + heard);

    IssuedToken logout = tokens.issue("alice");
    heard.clear();
    tokens.revoke(logout.plaintext());
    assertEquals(RevocationCause.USER, only(SecurityEvent.Revoked.class).cause());
  }

  @Test
  void revokeAll_reportsHowManySessionsEnded() {
    tokens.issue("alice");
    tokens.issue("alice");
    tokens.issue("bob");
    heard.clear();
    assertEquals(2, tokens.revokeAll("alice", RevocationCause.ADMIN));
    assertEquals(new SecurityEvent.RevokedAll(clock.instant(), "alice", 2, RevocationCause.ADMIN),
        only(SecurityEvent.RevokedAll.class));
    tokens.revokeAll("alice");
    assertEquals(new SecurityEvent.RevokedAll(clock.instant(), "alice", 0, RevocationCause.USER),
        only(SecurityEvent.RevokedAll.class));
  }

  @Test
  void storeDown_reportsStoreUnavailable_andNoChangeItDidNotMake() {
    IssuedToken issued = tokens.issue("alice");
    IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
    heard.clear();
    store.down = true;
    List<Runnable> calls = List.of(
        () -> tokens.issue("alice"),
        () -> tokens.issuePair("alice", null, Client.UNKNOWN),
        () -> tokens.authenticate(issued.plaintext()),
        () -> tokens.refresh(pair.refreshPlaintext(), Client.UNKNOWN),
        () -> tokens.revoke(issued.plaintext()),
        () -> tokens.revokeSession("alice", issued.session().id()),
        () -> tokens.revokeAll("alice"),
        () -> tokens.sessions("alice"),
        () -> tokens.purgeExpired());
    List<Operation> expected = List.of(Operation.ISSUE, Operation.ISSUE, Operation.AUTHENTICATE,
        Operation.REFRESH, Operation.REVOKE, Operation.REVOKE, Operation.REVOKE,
        Operation.SESSIONS, Operation.PURGE);
    for (int i = 0; i < calls.size(); i++) {
      assertThrows(StoreUnavailableException.class, calls.get(i)::run);
      assertEquals(expected.get(i), only(SecurityEvent.StoreUnavailable.class).operation());
    }
    store.down = false;
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  @Test
  void events_neverHoldATokenOrItsHash() {
    List<String> secrets = new ArrayList<>();
    IssuedToken single = tokens.issue("alice", "Firefox");
    secrets.add(single.plaintext());
    IssuedPair pair = tokens.issuePair("alice", "Phone", Client.UNKNOWN);
    secrets.add(pair.access().plaintext());
    secrets.add(pair.refreshPlaintext());
    IssuedPair next = ((RefreshResult.Refreshed) tokens.refresh(pair.refreshPlaintext(),
        Client.UNKNOWN)).pair();
    secrets.add(next.access().plaintext());
    secrets.add(next.refreshPlaintext());
    tokens.authenticate(single.plaintext());
    tokens.authenticate(next.access().plaintext());
    tokens.authenticate(pair.access().plaintext());
    tokens.refresh(pair.refreshPlaintext(), Client.UNKNOWN);
    clock.advance(Duration.ofMinutes(1));
    tokens.refresh(pair.refreshPlaintext(), Client.UNKNOWN);
    tokens.revoke(single.plaintext());
    tokens.revokeAll("alice");

    assertTrue(heard.size() >= 10, heard::toString);
    HexFormat hex = HexFormat.of();
    for (Object event : heard) {
      String text = event.toString();
      for (String secret : secrets) {
        assertFalse(text.contains(secret), "an event holds a token: " + text);
        // Nor more of its hash than the 8-hex fingerprint.
        String hash = hex.formatHex(TokenHash.sha256(secret).bytes());
        assertFalse(text.contains(hash.substring(0, 9)), "an event holds a hash: " + text);
      }
    }
  }

  @Test
  void fingerprint_refusesAnythingButEightHexDigits_withoutEchoingIt() {
    IssuedToken issued = tokens.issue("alice");
    SessionId id = issued.session().id();
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> new SecurityEvent.ReuseDetected(clock.instant(), "alice", id, issued.plaintext()));
    assertFalse(refused.getMessage().contains(issued.plaintext()));
    assertThrows(NullPointerException.class,
        () -> new SecurityEvent.Revoked(clock.instant(), "alice", null, RevocationCause.USER));
    assertThrows(IllegalArgumentException.class,
        () -> new SecurityEvent.ReuseDetected(clock.instant(), "alice", id, "ABCDEF12"));
    assertThrows(IllegalArgumentException.class, () -> new SecurityEvent.Refused(clock.instant(),
        Operation.AUTHENTICATE, AuthResult.Reason.REUSED, null, null, null));
  }

  @Test
  void builder_eventListeners_validated_andKeptByToBuilder() {
    TokenService.Builder builder = TokenService.builder().store(store);
    assertThrows(IllegalArgumentException.class, builder::eventListeners);
    assertThrows(NullPointerException.class,
        () -> TokenService.builder().eventListeners(recorder, null));
    TokenService.Builder once = TokenService.builder().store(store).eventListeners(recorder);
    assertThrows(IllegalStateException.class, () -> once.eventListeners(recorder));

    TokenService derived = tokens.toBuilder().absoluteTtl(Duration.ofDays(1)).build();
    heard.clear();
    derived.issue("alice");
    only(SecurityEvent.Issued.class);
  }

  /**
   * Twin services from one seed: one with listeners that throw on every event, one with none.
   * Every answer of a random mix of calls must be the same, the listener after the throwing ones
   * must hear every event, and each failure must reach the thread's uncaught-exception handler.
   */
  @Test
  void throwingListeners_neverChangeAnAnswer_andTheOthersStillHearEverything() throws Exception {
    long seed = TestSeed.of("throwingListeners_neverChangeAnAnswer");
    AtomicInteger reported = new AtomicInteger();
    List<Object> after = new ArrayList<>();
    SecurityEventListener runtime = throwing(() -> new IllegalStateException("listener bug"));
    SecurityEventListener error = throwing(() -> new AssertionError("listener assertion"));
    SecurityEventListener checked = throwing(() -> new IOException("listener I/O"));
    Thread thread = Thread.currentThread();
    Thread.UncaughtExceptionHandler previous = thread.getUncaughtExceptionHandler();
    thread.setUncaughtExceptionHandler((t, e) -> {
      reported.incrementAndGet();
      throw new IllegalStateException("even the handler fails");
    });
    try {
      List<Object> alone = new ArrayList<>();
      MutableClock plainClock = MutableClock.startingAt2026();
      MutableClock hookedClock = MutableClock.startingAt2026();
      TokenService plain = TokenService.builder().store(new InMemoryTokenStore())
          .clock(plainClock).secureRandom(seeded(seed)).eventListeners(recorder(alone, true)).build();
      TokenService hooked = TokenService.builder().store(new InMemoryTokenStore())
          .clock(hookedClock).secureRandom(seeded(seed))
          .eventListeners(runtime, error, checked, recorder(after, true)).build();
      List<String> plainAnswers = script(plain, plainClock, new Random(seed));
      List<String> hookedAnswers = script(hooked, hookedClock, new Random(seed));
      assertEquals(plainAnswers, hookedAnswers, TestSeed.replay(seed));
      assertTrue(alone.stream().anyMatch(e -> e instanceof Accepted), TestSeed.replay(seed));
      assertTrue(alone.stream().anyMatch(e -> e instanceof SecurityEvent.Refused),
          TestSeed.replay(seed));
      assertEquals(alone, after, TestSeed.replay(seed));
      assertEquals(3 * after.size(), reported.get(), TestSeed.replay(seed));
    } finally {
      thread.setUncaughtExceptionHandler(previous);
    }
  }

  /** A listener throwing a new {@code failure} from both its methods, on the caller's thread. */
  private static SecurityEventListener throwing(Supplier<Throwable> failure) {
    return new SecurityEventListener() {
      @Override
      public boolean deliverInline() {
        return true;
      }

      @Override
      public void onEvent(SecurityEvent event) {
        sneakyThrow(failure.get());
      }

      @Override
      public void onAuthenticated(Session session) {
        sneakyThrow(failure.get());
      }
    };
  }

  /** 300 random calls on {@code tokens}; each answer as text, secrets included, to compare. */
  private static List<String> script(TokenService tokens, MutableClock clock, Random random) {
    List<String> answers = new ArrayList<>();
    List<String> access = new ArrayList<>(List.of("tk_garbage"));
    List<String> refresh = new ArrayList<>(List.of("tkr_garbage"));
    for (int i = 0; i < 300; i++) {
      String subject = "user" + random.nextInt(3);
      switch (random.nextInt(7)) {
        case 0 -> {
          IssuedToken issued = tokens.issue(subject);
          access.add(issued.plaintext());
          answers.add(issued.plaintext() + " " + issued.session());
        }
        case 1 -> {
          IssuedPair pair = tokens.issuePair(subject, null, Client.UNKNOWN);
          access.add(pair.access().plaintext());
          refresh.add(pair.refreshPlaintext());
          answers.add(pair.access().plaintext() + " " + pair.refreshPlaintext());
        }
        case 2 -> answers.add(
            tokens.authenticate(access.get(random.nextInt(access.size()))).toString());
        case 3 -> {
          RefreshResult result =
              tokens.refresh(refresh.get(random.nextInt(refresh.size())), Client.UNKNOWN);
          if (result instanceof RefreshResult.Refreshed refreshed) {
            access.add(refreshed.pair().access().plaintext());
            refresh.add(refreshed.pair().refreshPlaintext());
            answers.add(refreshed.pair().refreshPlaintext());
          } else {
            answers.add(result.toString());
          }
        }
        case 4 -> answers.add(Boolean.toString(
            tokens.revoke(access.get(random.nextInt(access.size())))));
        case 5 -> answers.add(Integer.toString(tokens.revokeAll(subject)));
        default -> clock.advance(Duration.ofSeconds(random.nextInt(20)));
      }
    }
    return answers;
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable e) throws E {
    throw (E) e;
  }

  @Test
  void listenerOutOfMemory_isTheMachinesFailure_andPropagates() {
    OutOfMemoryError oom = new OutOfMemoryError("test");
    TokenService failing = TokenService.builder().store(new InMemoryTokenStore())
        .eventListeners(throwing(() -> oom)).build();
    assertSame(oom, assertThrows(OutOfMemoryError.class, () -> failing.issue("alice")));
  }

  @Test
  void manyThreads_eachCallIsReportedExactlyOnce() throws Exception {
    List<IssuedToken> issued = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      issued.add(tokens.issue("user" + i));
    }
    heard.clear();
    int threads = 8;
    int calls = 2_000;
    Concurrently.run(threads, t -> {
      for (int i = 0; i < calls; i++) {
        if (i % 2 == 0) {
          assertTrue(tokens.authenticate(issued.get(t).plaintext()).isAuthenticated());
        } else {
          assertFalse(tokens.authenticate("tk_nope").isAuthenticated());
        }
      }
      return null;
    });
    assertEquals(threads * calls, heard.size());
    for (int t = 0; t < threads; t++) {
      SessionId id = issued.get(t).session().id();
      assertEquals(calls / 2, heard.stream()
          .filter(e -> e instanceof Accepted a && a.session().id().equals(id))
          .count());
    }
    assertEquals(threads * calls / 2, heard.stream()
        .filter(e -> e instanceof SecurityEvent.Refused r
            && r.reason() == AuthResult.Reason.MALFORMED)
        .count());
  }
}
