package io.tla.connectors.outbox;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import io.tla.platform.files.PrivateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends JSON lines to the day's outbox file in batches: a batch is written with one write and made durable
 * with one {@link FileChannel#force}. A batch that fails part-way is cut off again, so a retry never leaves half
 * a batch behind; a torn last line from a crash gets its newline before anything is appended after it.
 */
final class OutboxWriter implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(OutboxWriter.class);

    private final Path dir;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private FileChannel channel;
    private LocalDate channelDate;

    OutboxWriter(Path dir) {
        this.dir = dir;
    }

    /** Buffers one line (without its newline) for the next {@link #commit}. */
    void append(byte[] json) {
        pending.writeBytes(json);
        pending.write('\n');
    }

    boolean hasPending() {
        return pending.size() > 0;
    }

    /** Writes the buffered lines to the file of {@code utcDate} and forces them to disk. */
    void commit(LocalDate utcDate) throws IOException {
        if (pending.size() == 0) {
            return;
        }
        FileChannel ch = channelFor(utcDate);
        long start = ch.size();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(pending.toByteArray());
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(true);
            pending.reset();
        } catch (IOException e) {
            try {
                ch.truncate(start);
                ch.force(true);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            closeChannel(); // reopen on the next attempt
            throw e;
        }
    }

    /** Drops buffered lines that were not committed (their records will be read again). */
    void discardPending() {
        pending.reset();
    }

    private FileChannel channelFor(LocalDate date) throws IOException {
        if (channel != null && date.equals(channelDate)) {
            return channel;
        }
        closeChannel();
        PrivateFiles.directory(dir);
        Path file = OutboxFiles.file(dir, date);
        boolean created = !Files.exists(file);
        if (!created) {
            terminateTornLine(file);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        if (created) {
            PrivateFiles.created(file); // replies are tenants' text: the owner's alone
            syncDirectory();
        }
        channel = ch;
        channelDate = date;
        return ch;
    }

    /** A crash can leave a last line without its newline: end it, so the next line is not glued to it. */
    private static void terminateTornLine(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size == 0) {
                return;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            ch.read(last, size - 1);
            if (last.get(0) != '\n') {
                log.warn("event=outbox_torn_line file={} detail=\"last line had no newline; it is kept and ended\"",
                        file);
                ch.write(ByteBuffer.wrap(new byte[] {'\n'}), size);
                ch.force(true);
            }
        }
    }

    /** Makes a new file's directory entry durable too (best effort: not every platform can open directories). */
    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("event=outbox_dir_sync_skipped dir={} error={}", dir, e.getClass().getSimpleName());
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.warn("event=outbox_close_failed file={} error={}", OutboxFiles.file(dir, channelDate), e.toString());
            }
            channel = null;
            channelDate = null;
        }
    }

    @Override
    public void close() {
        closeChannel();
    }
}
