package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

  @Test
  void encode_thenDecode_roundTripsToTheNanosecond() {
    for (Instant instant : List.of(Instant.EPOCH, Instant.parse("2026-01-01T00:00:00.000000001Z"),
        Instant.parse("1900-06-30T12:00:00.5Z"), Instant.parse("+29999-12-31T23:59:59Z"))) {
      assertEquals(instant, RecordCodec.decode(RecordCodec.encode(instant)));
    }
  }

  @Test
  void encode_textOrder_isInstantOrder() {
    Random random = new Random(8);
    for (int i = 0; i < 10_000; i++) {
      Instant x = Instant.ofEpochSecond(random.nextInt() * 8L, random.nextInt(1_000_000_000));
      Instant y = Instant.ofEpochSecond(random.nextInt() * 8L, random.nextInt(1_000_000_000));
      assertEquals(Integer.signum(x.compareTo(y)),
          Integer.signum(RecordCodec.encode(x).compareTo(RecordCodec.encode(y))));
    }
  }

  @Test
  void encode_farFuture_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(Instant.MAX));
  }

  @Test
  void decode_missingField_isCorrupted_andNamesOnlyAFingerprint() {
    RecordCodec codec = new RecordCodec("tk:");
    TokenRecord record = TokenStoreContract.record("alice");
    List<String> flat = RecordCodec.fields(record);
    Map<String, String> fields = new HashMap<>();
    for (int i = 0; i < flat.size(); i += 2) {
      fields.put(flat.get(i), flat.get(i + 1));
    }
    String id = RecordCodec.id(record.hash());
    assertEquals(record, codec.decode(id, fields));
    fields.remove(RecordCodec.EXPIRES);
    StoreCorruptedException e =
        assertThrows(StoreCorruptedException.class, () -> codec.decode(id, fields));
    assertEquals(-1, e.getMessage().indexOf(id));
  }
}
