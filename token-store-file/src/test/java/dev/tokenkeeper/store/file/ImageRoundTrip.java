package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An index written as a snapshot writes it ({@link LiveIndex#snapshot}: an image, then the other
 * sessions as records) and read back as open reads it, in memory: the sections copied into
 * direct buffers, as a disk that cannot map hands them out.
 */
final class ImageRoundTrip {

  /** An image's record and its raw sections. */
  record Written(IndexImage.Header header, byte[] raw, List<SessionRecord> others,
      List<List<TokenRecord>> tokens) {

    /** The image as a reader sees it. */
    LogEntry.Image image() {
      return new LogEntry.Image(header, (offset, length) -> {
        if (offset < 0 || length < 0 || offset + length > raw.length) {
          throw new java.io.EOFException("outside the image");
        }
        return ByteBuffer.allocateDirect(length).put(raw, (int) offset, length).clear();
      });
    }
  }

  private ImageRoundTrip() {}

  static Written write(LiveIndex index) {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    IndexImage.Header[] header = new IndexImage.Header[1];
    List<SessionRecord> others = new ArrayList<>();
    List<List<TokenRecord>> tokens = new ArrayList<>();
    try {
      index.snapshot(image -> {
        header[0] = image.header();
        image.writeTo(bytes -> {
          byte[] copy = new byte[bytes.remaining()];
          bytes.get(copy);
          raw.write(copy, 0, copy.length);
        });
      }, record -> {
        others.add(record);
        tokens.add(index.tokensOf(record.id()));
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Written(header[0], raw.toByteArray(), others, tokens);
  }

  /** A new index holding what {@code written} holds. */
  static LiveIndex read(Written written) {
    LiveIndex read = LiveIndex.create();
    try {
      read.loadImage(written.image());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int i = 0; i < written.others().size(); i++) {
      read.create(written.others().get(i), written.tokens().get(i));
    }
    return read;
  }

  /**
   * {@code index} written to {@code file} and read back as open reads a snapshot: its slots and
   * tables mapped copy-on-write from the file.
   */
  static CompactLiveIndex mapped(LiveIndex index, Path file) throws IOException {
    Written written = write(index);
    Files.write(file, written.raw());
    CompactLiveIndex read = new CompactLiveIndex();
    try (Disk.File opened = Disk.system().open(file)) {
      read.loadImage(new LogEntry.Image(written.header(), opened::map));
    }
    for (int i = 0; i < written.others().size(); i++) {
      read.create(written.others().get(i), written.tokens().get(i));
    }
    return read;
  }

  /** {@code index} written and read back. */
  static LiveIndex of(LiveIndex index) {
    return read(write(index));
  }
}
