package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.Client;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The key a client address is throttled under: IPv4 as it is, IPv6 by its /64, since one
 * subscriber usually holds a whole /64 and would otherwise get a fresh bucket per address.
 */
final class AddressKey {

  private AddressKey() {}

  static String of(String address) {
    InetAddress parsed = address == null || address.indexOf(':') < 0
        ? null : Client.parseAddress(address.replace("[", "").replace("]", ""));
    if (parsed == null || parsed.getAddress().length != 16) {
      return address;
    }
    byte[] network = Arrays.copyOf(parsed.getAddress(), 16);
    Arrays.fill(network, 8, 16, (byte) 0);
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/64";
    } catch (UnknownHostException e) {
      throw new AssertionError("16 bytes are always an address", e);
    }
  }
}
