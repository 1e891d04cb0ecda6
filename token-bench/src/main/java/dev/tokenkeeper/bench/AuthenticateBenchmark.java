package dev.tokenkeeper.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.file.Durability;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The hot path, per request: check one presented token. Tokenkeeper's full
 * {@link TokenService#authenticate} (format and checksum, SHA-256, lookup, expiry, touch) on a
 * {@link dev.tokenkeeper.store.file.FileTokenStore} holding {@code liveTokens} live tokens, beside
 * an HS256 JWT parsed and verified with nimbus-jose-jwt (signature and expiry), and a bare
 * {@link ConcurrentHashMap#get} of a raw token (the floor). Each is run with one and two threads;
 * results are operations per second summed over threads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AuthenticateBenchmark {

  /** A file store with {@code liveTokens} live tokens, filled, closed and reopened in SYNC. */
  @State(Scope.Benchmark)
  public static class FileStore {
    @Param({"1000", "100000", "1000000"})
    int liveTokens;

    Fixtures.Filled filled;
    Presented sample;

    @Setup(Level.Trial)
    public void fill() {
      filled = Fixtures.filled("authenticate", liveTokens, Durability.SYNC);
      sample = Presented.of(filled.sample());
    }

    @TearDown(Level.Trial)
    public void close() {
      filled.close();
    }
  }

  /**
   * The floor: what the origin kept in memory, a map of raw tokens, with as many entries. The
   * presented strings are copies, so {@code equals} compares characters as it would for a token
   * read from a request.
   */
  @State(Scope.Benchmark)
  public static class RawMap {
    @Param({"1000", "100000", "1000000"})
    int liveTokens;

    ConcurrentHashMap<String, Session> map;
    Presented sample;

    @Setup(Level.Trial)
    public void fill() {
      map = new ConcurrentHashMap<>();
      sample = Presented.of(fillMap(liveTokens, "", token -> map.put(token, SESSION)));
    }
  }

  /**
   * Authenticate's floor: SHA-256 of the presented token and one lookup of its 32-byte digest in
   * a map with as many entries. No store can do less per request and keep only hashes.
   */
  @State(Scope.Benchmark)
  public static class DigestMap {
    @Param({"1000", "100000", "1000000"})
    int liveTokens;

    ConcurrentHashMap<TokenHash, Session> map;
    Presented sample;

    @Setup(Level.Trial)
    public void fill() {
      map = new ConcurrentHashMap<>();
      // Shaped as tokens are (prefix, 43 characters, 6 more), so the hash covers as many bytes.
      String[] tokens = fillMap(liveTokens, "tk_",
          token -> map.put(TokenHash.sha256(token + "000000"), SESSION));
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = tokens[i] + "000000";
      }
      sample = Presented.of(tokens);
    }
  }

  /** The session every floor map's entries point to. */
  private static final Session SESSION = TokenService.builder().store(new InMemoryTokenStore())
      .build().issue("user@example.com", Fixtures.LABEL).session();

  /**
   * Puts {@code liveTokens} random tokens ({@code prefix} and 43 base64url characters) through
   * {@code put}; returns a sample of them spread over the whole map, not only its first
   * entries.
   */
  private static String[] fillMap(int liveTokens, String prefix, Consumer<String> put) {
    SecureRandom random = new SecureRandom();
    int sampleSize = Math.min(liveTokens, Fixtures.SAMPLE);
    String[] sample = new String[sampleSize];
    byte[] bytes = new byte[32];
    for (int i = 0; i < liveTokens; i++) {
      random.nextBytes(bytes);
      String token = prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      put.accept(token);
      long slot = (long) i * sampleSize / liveTokens;
      if ((long) (i + 1) * sampleSize / liveTokens != slot || i == liveTokens - 1) {
        sample[(int) slot] = token;
      }
    }
    return sample;
  }

  /** HS256 JWTs as a stateless scheme would issue them, signed with a 256-bit key. */
  @State(Scope.Benchmark)
  public static class Jwt {
    MACVerifier verifier;
    Presented sample;

    @Setup(Level.Trial)
    public void sign() throws JOSEException {
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      MACSigner signer = new MACSigner(secret);
      verifier = new MACVerifier(secret);
      Instant now = Instant.now();
      String[] tokens = new String[1024];
      for (int i = 0; i < tokens.length; i++) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
            .subject(Fixtures.subject(i))
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofDays(7))))
            .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(signer);
        tokens[i] = jwt.serialize();
      }
      sample = Presented.of(tokens);
    }
  }

  /**
   * Tokens to refuse: garbage a scanner might send (right prefix, wrong alphabet and checksum),
   * and well-formed tokens that were never issued by this service.
   */
  @State(Scope.Benchmark)
  public static class Garbage {
    TokenService tokens;
    Presented sample;
    Presented unknown;

    @Setup(Level.Trial)
    public void make() {
      tokens = TokenService.builder().store(new InMemoryTokenStore()).build();
      String good = tokens.issue("user@example.com").plaintext();
      String[] garbage = new String[1024];
      for (int i = 0; i < garbage.length; i++) {
        garbage[i] = good.substring(0, good.length() - 4) + String.format("%04d", i) + "!";
      }
      sample = Presented.of(garbage);
      TokenService elsewhere = TokenService.builder().store(new InMemoryTokenStore()).build();
      String[] neverIssued = new String[1024];
      for (int i = 0; i < neverIssued.length; i++) {
        neverIssued[i] = elsewhere.issue("user@example.com").plaintext();
      }
      unknown = Presented.of(neverIssued);
    }
  }

  /** Each thread walks the samples on its own, presenting a new copy of each token. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    String next(Presented sample) {
      if (next >= sample.size()) {
        next = 0;
      }
      return sample.copy(next++);
    }
  }

  @Benchmark
  @Threads(1)
  public AuthResult tokenkeeper(FileStore store, Cursor cursor) {
    return authenticate(store, cursor);
  }

  @Benchmark
  @Threads(2)
  public AuthResult tokenkeeperTwoThreads(FileStore store, Cursor cursor) {
    return authenticate(store, cursor);
  }

  @Benchmark
  @Threads(1)
  public boolean jwtHs256(Jwt jwt, Cursor cursor) throws ParseException, JOSEException {
    return verify(jwt, cursor);
  }

  @Benchmark
  @Threads(2)
  public boolean jwtHs256TwoThreads(Jwt jwt, Cursor cursor) throws ParseException, JOSEException {
    return verify(jwt, cursor);
  }

  @Benchmark
  @Threads(1)
  public Session mapGet(RawMap map, Cursor cursor) {
    return map.map.get(cursor.next(map.sample));
  }

  @Benchmark
  @Threads(2)
  public Session mapGetTwoThreads(RawMap map, Cursor cursor) {
    return map.map.get(cursor.next(map.sample));
  }

  @Benchmark
  @Threads(1)
  public Session digestFloor(DigestMap map, Cursor cursor) {
    return map.map.get(TokenHash.sha256(cursor.next(map.sample)));
  }

  /** A token that fails the format check: refused before any hashing or lookup. */
  @Benchmark
  @Threads(1)
  public AuthResult rejectGarbage(Garbage garbage, Cursor cursor) {
    AuthResult result = garbage.tokens.authenticate(cursor.next(garbage.sample));
    if (result.isAuthenticated()) {
      throw new AssertionError("garbage was accepted");
    }
    return result;
  }

  /** A well-formed token nobody issued: hashed and looked up, then refused. */
  @Benchmark
  @Threads(1)
  public AuthResult rejectUnknown(Garbage garbage, Cursor cursor) {
    AuthResult result = garbage.tokens.authenticate(cursor.next(garbage.unknown));
    if (result.isAuthenticated()) {
      throw new AssertionError("an unknown token was accepted");
    }
    return result;
  }

  private static AuthResult authenticate(FileStore store, Cursor cursor) {
    AuthResult result = store.filled.tokens().authenticate(cursor.next(store.sample));
    if (!result.isAuthenticated()) {
      throw new AssertionError("a live token was refused: " + result);
    }
    return result;
  }

  /** What a JWT resource server does per request: parse, check the signature, check expiry. */
  static boolean verify(Jwt jwt, Cursor cursor) throws ParseException, JOSEException {
    SignedJWT parsed = SignedJWT.parse(cursor.next(jwt.sample));
    if (!parsed.verify(jwt.verifier)) {
      throw new AssertionError("signature refused");
    }
    Date expires = parsed.getJWTClaimsSet().getExpirationTime();
    if (expires == null || !expires.after(new Date())) {
      throw new AssertionError("token expired");
    }
    return true;
  }
}
