package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Proves the contract bites: each deliberately broken store below is run through the contract
 * suites, and the tests named here must fail on it (and the same suites pass on the sound
 * {@link MapStore} they break). A contract that let one of them through would be a test that
 * cannot fail.
 */
class BrokenStoresTest {

  @Test
  void soundMapStore_passesEveryContract() {
    assertEquals(Set.of(), ContractFailures.of(Sound.class));
  }

  @Test
  void revokeAcknowledgedButNotKeptAcrossReopen_isCaught() {
    Set<String> failed = ContractFailures.of(ForgetsRevokes.class);
    assertTrue(failed.contains("revokeSession_endsEveryTokenOfIt_keepsTheFirstInstant_andSurvivesReopen"),
        failed.toString());
    assertTrue(failed.contains("issue_thenReopen_authenticates_andRevokeIsFinalAcrossReopen"),
        failed.toString());
    assertTrue(failed.contains("refreshAfterLogout_isRevoked_evenWithinGrace_andAcrossReopen"),
        failed.toString());
  }

  @Test
  void touchThatMovesExpiryBackwards_isCaught() {
    Set<String> failed = ContractFailures.of(TouchesBackwards.class);
    assertTrue(failed.contains("touch_movesLastUseAndExpiryForwardOnly_andSurvivesReopen"),
        failed.toString());
    assertTrue(failed.contains(
        "touch_fromManyThreadsInAnyOrder_endsAtTheLatest_andARacingRevokeWins"),
        failed.toString());
  }

  @Test
  void rotationThatALogoutCanLandInside_isCaught() {
    Set<String> failed = ContractFailures.of(RotationNotAtomic.class);
    assertTrue(failed.contains("refreshTwice_raceLogout_noPairOutlivesTheLogout")
        || failed.contains("refreshTwice_raceLogoutEverywhere_noPairOutlivesTheLogout"),
        failed.toString());
  }

  @Test
  void purgeThatKeepsExpiredSessions_isCaught() {
    Set<String> failed = ContractFailures.of(KeepsExpired.class);
    assertTrue(failed.contains(
        "purgeExpired_atTheExactExpiry_removesTheSessionWithAllItsTokens"), failed.toString());
  }

  @Test
  void revokeAcknowledgedButLostInACrash_isCaughtByTheCrashTestOnly() {
    assertEquals(Set.of("acknowledgedWrites_surviveACrash_notOnlyACleanClose"),
        ContractFailures.of(CrashLosesLastRevoke.class));
  }

  @Test
  void secondInstanceThatKeepsServingWhatItRead_isCaughtByTheTwoInstanceTests() {
    Set<String> failed = ContractFailures.of(SecondInstanceCachesForever.class);
    assertTrue(failed.contains(
        "revoke_acknowledgedOnA_isFinalWhenReadOnB_andAfterBWritesWhatItHeld"), failed.toString());
    assertTrue(failed.contains(
        "revokeAll_acknowledgedOnA_isFinalWhenReadOnB_andAfterBWritesWhatItHeld"),
        failed.toString());
  }

  @Test
  void revokeAcknowledgedWhoseWriteFailed_isCaughtOnTheFaultAxis() {
    Set<String> failed = ContractFailures.of(SwallowsFailedRevokes.class);
    // Scripted faults: the service reports a logout whose write failed as done.
    assertTrue(failed.contains(
        "revoke_whenTheRevokeFailsBeforeLanding_throwsTheTypedFailure_andARetryRevokes"),
        failed.toString());
    assertTrue(failed.contains(
        "revokeSession_whenTheRevokeFailsAfterLanding_throwsTheTypedFailure_andItHolds"),
        failed.toString());
    assertTrue(failed.contains(
        "reuseAfterGrace_whenItsRevokeFails_throwsTheTypedFailure_andTheNextTryRevokes"),
        failed.toString());
    // The fault axis (every revoke fails): the store contract and the validation catch it.
    assertTrue(failed.contains(
        "revokeSession_endsEveryTokenOfIt_keepsTheFirstInstant_andSurvivesReopen"),
        failed.toString());
    assertTrue(failed.contains("issue_thenReopen_authenticates_andRevokeIsFinalAcrossReopen"),
        failed.toString());
  }

  /**
   * Runs every contract, with and without faults, over a {@link MapStore} from {@link #store()};
   * a second instance is another client of the same maps.
   */
  abstract static class Harness implements TokenStoreContract, TokenServiceContract,
      SessionRaceContract, TwoInstancesContract {

    abstract MapStore store();

    @Override
    public TokenStore newStore(Clock clock) {
      return store();
    }

    @Override
    public TokenStore reopen(TokenStore store) {
      store.close();
      return ((MapStore) store).copy();
    }

    @Override
    public TokenStore reopenAfterCrash(TokenStore store) {
      return ((MapStore) store).crashCopy();
    }

    /** Closing it leaves the maps open, as a client closing leaves its server running. */
    @Override
    public TokenStore secondInstance(TokenStore first) {
      return new ForwardingTokenStore(first) {
        @Override
        public void close() {}
      };
    }

    @Override
    public int raceTrials() {
      return Integer.getInteger("tokenkeeper.raceTrials", 300);
    }
  }

  static final class Sound extends Harness {
    @Override
    MapStore store() {
      return new MapStore();
    }
  }

  /** Acknowledges revokes, but a reopen loads the sessions as they were before them. */
  static final class ForgetsRevokes extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        MapStore copy() {
          MapStore copy = super.copy();
          copy.sessions.replaceAll((id, s) -> new SessionRecord(s.session(), s.binding(),
              s.refreshHash(), null));
          return copy;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /**
   * Keeps every write across a clean reopen, but a crash loses the last revoke it acknowledged,
   * as a store would that acknowledges a revoke before forcing it.
   */
  static final class CrashLosesLastRevoke extends Harness {
    @Override
    MapStore store() {
      return new Store();
    }

    static final class Store extends MapStore {
      /** The sessions the last revoke changed, as they were before it. */
      private Map<SessionId, SessionRecord> beforeLastRevoke = Map.of();

      @Override
      public synchronized boolean revokeSession(SessionId id, Instant at) {
        SessionRecord before = sessions.get(id);
        boolean done = super.revokeSession(id, at);
        if (done) {
          beforeLastRevoke = Map.of(id, before);
        }
        return done;
      }

      @Override
      public synchronized int revokeAll(String subject, Instant at) {
        Map<SessionId, SessionRecord> before = new HashMap<>();
        findSessions(subject).forEach(s -> before.put(s.id(), s));
        int count = super.revokeAll(subject, at);
        beforeLastRevoke = before;
        return count;
      }

      @Override
      synchronized MapStore crashCopy() {
        MapStore copy = copy();
        copy.sessions.replaceAll((id, s) -> beforeLastRevoke.getOrDefault(id, s));
        return copy;
      }

      @Override
      MapStore newEmpty() {
        return new Store();
      }
    }
  }

  /**
   * Sound on one instance, but a second instance caches what it reads and never hears of what
   * another instance revoked: a near cache without a bound.
   */
  static final class SecondInstanceCachesForever extends Harness {
    @Override
    MapStore store() {
      return new MapStore();
    }

    @Override
    public TokenStore secondInstance(TokenStore first) {
      return new HarnessHolesTest.Caching(super.secondInstance(first), (MapStore) first, true,
          false);
    }
  }

  /** Sets last use and expiry to whatever a touch says, older or not. */
  static final class TouchesBackwards extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        SessionRecord touched(SessionRecord s, Instant usedAt, Instant expiresAt) {
          if (s.isRevoked()) {
            return s;
          }
          Session old = s.session();
          return new SessionRecord(new Session(old.id(), old.subject(), old.label(),
              old.createdAt(), usedAt, expiresAt), s.binding(), s.refreshHash(), null);
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Checks a rotation and writes it in two steps, so a logout landing between is lost. */
  static final class RotationNotAtomic extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        public boolean rotate(Rotation rotation) {
          SessionRecord session;
          TokenRecord presented;
          synchronized (this) {
            session = sessions.get(rotation.sessionId());
            presented = tokens.get(rotation.rotated());
            if (session == null || presented == null || !rotation.appliesTo(session, presented)) {
              return false;
            }
          }
          Thread.yield();
          synchronized (this) {
            sessions.put(session.id(), rotation.applyTo(session));
            tokens.put(presented.hash(), rotation.applyTo(presented));
            rotation.added().forEach(t -> tokens.put(t.hash(), t));
          }
          return true;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /** Reports expired sessions purged but keeps them. */
  static final class KeepsExpired extends Harness {
    @Override
    MapStore store() {
      return new MapStore() {
        @Override
        boolean purgeable(SessionRecord session, Instant now) {
          return false;
        }

        @Override
        MapStore newEmpty() {
          return store();
        }
      };
    }
  }

  /**
   * A store built over another (a cache in front of a shared store, say) that answers a revoke
   * whose write there failed as if it had landed: sound until a write fails, so only faults find
   * it. The harness puts its faults in front of the store it is built on; on the fault axis every
   * revoke there fails before it lands.
   */
  static final class SwallowsFailedRevokes extends Harness {
    @Override
    MapStore store() {
      return new MapStore();
    }

    @Override
    public TokenStore newStore(Clock clock) {
      return new Swallowing(store());
    }

    @Override
    public TokenStore withFaults(TokenStore store) {
      return store;
    }

    @Override
    public TokenStore reopen(TokenStore store) {
      store.close();
      return new Swallowing(((Swallowing) store).backing.copy());
    }

    @Override
    public TokenStore reopenAfterCrash(TokenStore store) {
      return new Swallowing(((Swallowing) store).backing.copy());
    }

    @Override
    public FaultInjector injectedFaults(long seed, int writes) {
      return FaultInjector.always(FaultInjector.When.BEFORE,
          Set.of(FaultInjector.Step.REVOKE_SESSION, FaultInjector.Step.REVOKE_ALL));
    }

    private final class Swallowing extends ForwardingTokenStore {
      final MapStore backing;

      Swallowing(MapStore backing) {
        super(faults().wrap(backing));
        this.backing = backing;
      }

      @Override
      public boolean revokeSession(SessionId id, Instant at) {
        try {
          return super.revokeSession(id, at);
        } catch (StoreUnavailableException e) {
          return true; // the defect: "it will land eventually"
        }
      }

      @Override
      public int revokeAll(String subject, Instant at) {
        try {
          return super.revokeAll(subject, at);
        } catch (StoreUnavailableException e) {
          return 0;
        }
      }
    }
  }
}
