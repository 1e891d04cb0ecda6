package dev.tokenkeeper.store.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Lua script shipped as a resource beside this class, run by its SHA-1 ({@code EVALSHA}),
 * optionally preceded by shared functions from other resources (Redis scripts cannot include).
 * A server that does not know it yet (first use, or after a restart emptied its script cache)
 * answers NOSCRIPT, and the script is then sent whole once ({@code EVAL}), which caches it again.
 *
 * <p>Immutable; thread-safe.
 */
final class LuaScript {

  private final String name;
  private final String source;
  private final String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  /** The script in resource {@code name}.lua of this package, after those in {@code shared}. */
  static LuaScript load(String name, String... shared) {
    StringBuilder source = new StringBuilder();
    for (String part : shared) {
      source.append(read(part));
    }
    return new LuaScript(name, source.append(read(name)).toString());
  }

  private static String read(String name) {
    try (InputStream in = LuaScript.class.getResourceAsStream(name + ".lua")) {
      if (in == null) {
        throw new IllegalStateException("script resource missing: " + name + ".lua");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read script " + name, e);
    }
  }

  /** Runs the script; Jedis exceptions pass through for the caller to translate. */
  Object run(UnifiedJedis redis, List<String> keys, List<String> args) {
    try {
      return redis.evalsha(sha, keys, args);
    } catch (JedisNoScriptException e) {
      return redis.eval(source, keys, args);
    }
  }

  String name() {
    return name;
  }

  private static String sha1(String source) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1")
          .digest(source.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-1", e);
    }
  }
}
