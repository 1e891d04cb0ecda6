package dev.tokenkeeper.store.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.MigrateParams;

/**
 * A real three-master Redis Cluster on loopback: three {@code redis-server --cluster-enabled yes}
 * (each a {@link RedisServer}, so a missing install skips or fails alike) joined by
 * {@code redis-cli --cluster create}, every slot assigned, no replicas. No append-only file:
 * cluster tests are about slots, not crashes.
 *
 * <p>Published in this module's test-jar so the demo's tests start a cluster alike.
 */
public final class RedisCluster implements AutoCloseable {

  private final List<RedisServer> nodes;

  private RedisCluster(List<RedisServer> nodes) {
    this.nodes = nodes;
  }

  /** Starts three nodes under {@code dir} and joins them; skips the test if none is installed. */
  public static RedisCluster start(Path dir) throws IOException, InterruptedException {
    return start(dir, false);
  }

  /**
   * As {@link #start(Path)}, each node with an append-only file ({@code appendfsync always}) if
   * {@code appendOnly}: for figures beside a single durable Redis.
   */
  public static RedisCluster start(Path dir, boolean appendOnly)
      throws IOException, InterruptedException {
    List<RedisServer> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Path home = Files.createDirectories(dir.resolve("node" + i));
        nodes.add(RedisServer.start(home, appendOnly, "--cluster-enabled", "yes",
            "--cluster-config-file", home.resolve("nodes.conf").toString(),
            "--cluster-port", Integer.toString(freePort()),
            "--cluster-node-timeout", "5000"));
      }
      RedisCluster cluster = new RedisCluster(nodes);
      cluster.create(dir);
      return cluster;
    } catch (Throwable e) {
      // Even an Error (a class missing from the path): never leave a node running.
      nodes.forEach(RedisServer::close);
      throw e;
    }
  }

  /** The cluster as the store takes it: {@code redis-cluster://} and every node. */
  public String uri() {
    List<String> addresses = new ArrayList<>();
    for (RedisServer node : nodes) {
      addresses.add("127.0.0.1:" + node.port());
    }
    return "redis-cluster://" + String.join(",", addresses);
  }

  /** The nodes, for looking at keys or stopping one. */
  public List<RedisServer> nodes() {
    return nodes;
  }

  /** The index in {@link #nodes()} of the master serving hash slot {@code slot}. */
  public int ownerOf(int slot) {
    try (Jedis jedis = new Jedis("127.0.0.1", nodes.get(0).port())) {
      for (String line : jedis.clusterNodes().split("\n")) {
        String[] fields = line.trim().split(" ");
        for (int i = 8; i < fields.length; i++) {
          String[] range = fields[i].split("-");
          if (range[0].startsWith("[")) {
            continue; // a slot being moved, listed beside the ranges
          }
          int first = Integer.parseInt(range[0]);
          int last = Integer.parseInt(range[range.length - 1]);
          if (first <= slot && slot <= last) {
            int port = Integer.parseInt(fields[1].substring(fields[1].indexOf(':') + 1,
                fields[1].indexOf('@')));
            for (int n = 0; n < nodes.size(); n++) {
              if (nodes.get(n).port() == port) {
                return n;
              }
            }
          }
        }
      }
    }
    throw new IllegalStateException("no master serves slot " + slot);
  }

  /**
   * Moves hash slot {@code slot} to node {@code to} as {@code redis-cli --cluster reshard} does:
   * the slot marked importing there and migrating at its owner, its keys moved with
   * {@code MIGRATE} {@code batch} at a time, {@code between} run before each batch and once all
   * have moved, then every node told the new owner.
   */
  public void moveSlot(int slot, int to, int batch, Runnable between) {
    int from = ownerOf(slot);
    RedisServer source = nodes.get(from);
    RedisServer target = nodes.get(to);
    try (Jedis src = new Jedis("127.0.0.1", source.port());
        Jedis dst = new Jedis("127.0.0.1", target.port())) {
      String sourceId = src.clusterMyId();
      String targetId = dst.clusterMyId();
      dst.clusterSetSlotImporting(slot, sourceId);
      src.clusterSetSlotMigrating(slot, targetId);
      List<String> keys;
      do {
        between.run();
        keys = src.clusterGetKeysInSlot(slot, batch);
        if (!keys.isEmpty()) {
          src.migrate("127.0.0.1", target.port(), 0, 5_000, new MigrateParams(),
              keys.toArray(new String[0]));
        }
      } while (!keys.isEmpty());
      dst.clusterSetSlotNode(slot, targetId);
      src.clusterSetSlotNode(slot, targetId);
      for (RedisServer node : nodes) {
        if (node != source && node != target) {
          try (Jedis other = new Jedis("127.0.0.1", node.port())) {
            other.clusterSetSlotNode(slot, targetId);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    nodes.forEach(RedisServer::close);
  }

  private void create(Path dir) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    for (RedisServer node : nodes) {
      command.add("127.0.0.1:" + node.port());
    }
    command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Path log = dir.resolve("cluster-create.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException("redis-cli --cluster create failed: "
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (RedisServer node : nodes) {
      try (Jedis jedis = new Jedis("127.0.0.1", node.port())) {
        while (!jedis.clusterInfo().contains("cluster_state:ok")) {
          if (System.nanoTime() > deadline) {
            throw new IOException("cluster not ok after 30 s: " + jedis.clusterInfo());
          }
          Thread.sleep(50); // polling real processes agreeing on the slot map
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
