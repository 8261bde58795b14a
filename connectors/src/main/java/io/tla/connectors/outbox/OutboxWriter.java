package io.tla.connectors.outbox;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import io.tla.platform.files.PrivateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends JSON lines to the day's outbox file from any number of threads, with group commit: {@link #append}
 * writes a line and returns a {@link Ticket} at once; {@link #awaitDurable} returns once a {@link FileChannel#force}
 * that began after the line was written has succeeded. One waiter forces for everyone whose line is written by
 * then, and lines written while that force runs share the next one, so many replies cost one fsync.
 *
 * <p>Failures never leave half a line or a line whose caller was told it failed: a write that fails is cut off
 * where its line started; a force that fails fails every line it covered and every line written after them, and
 * the file is cut back to the end of the last forced line (the channel is reopened for the next append), so the
 * callers' retries write those lines again exactly once. A torn last line from a crash gets its newline before
 * anything is appended after it.
 */
final class OutboxWriter implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(OutboxWriter.class);

    /** Opens a day's file for appending (a test may hand out a channel that fails). */
    @FunctionalInterface
    interface ChannelOpener {
        FileChannel open(Path file) throws IOException;
    }

    /**
     * One appended line. Its state is its own (not a range of the file), so a waiter can never take a later
     * force's success, or a reopened file's, for its own.
     */
    static final class Ticket {
        /** Where the line ends in its file: the file is durable up to here once this ticket is. */
        private final long end;
        /** Guarded by the writer. */
        private boolean durable;
        private IOException failure;

        private Ticket(long end) {
            this.end = end;
        }
    }

    private final Path dir;
    private final ChannelOpener opener;

    // everything below is guarded by this writer's monitor
    private FileChannel channel;
    private LocalDate channelDate;
    /** End of the last line written to {@link #channel}. */
    private long size;
    /** End of the last line known to be on disk: where a failed force cuts the file back to. */
    private long durableSize;
    /** Written to {@link #channel} and not yet handed to a force, in file order. */
    private List<Ticket> unforced = new ArrayList<>();
    /** A waiter is forcing with the monitor released. */
    private boolean forcing;
    /** A write failed and could not be cut off: nothing more may be appended after it (set with the cause). */
    private IOException broken;
    /** A file still to be cut back to {@link #cutLength} before anything else is appended, after a failure. */
    private Path cutFile;
    private long cutLength;
    private boolean closed;

    OutboxWriter(Path dir) {
        this(dir, file -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND));
    }

    OutboxWriter(Path dir, ChannelOpener opener) {
        this.dir = dir;
        this.opener = opener;
    }

    /** Appends one line and waits until it is on disk: the single-threaded way to use the writer. */
    void write(byte[] json, LocalDate utcDate) throws IOException {
        awaitDurable(append(json, utcDate));
    }

    /**
     * Writes {@code json} and a newline to the file of {@code utcDate}; the line is on disk only once
     * {@link #awaitDurable} has returned for the ticket. Does not wait for a force in progress, except when the
     * date changes (the old file's lines are forced first) or after a failure.
     */
    synchronized Ticket append(byte[] json, LocalDate utcDate) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (broken != null || (channel != null && !utcDate.equals(channelDate))) {
            awaitNoForce(); // the leader's force covers bytes of the current channel: let it finish first
        }
        if (broken != null) {
            abandon(broken);
        }
        if (channel != null && !utcDate.equals(channelDate)) {
            forceInline(); // the old day's lines are on disk before its channel is closed
            closeChannel();
        }
        if (cutFile != null) {
            cutBack(); // a failure's leftovers go before anything new is written
        }
        FileChannel ch = channelFor(utcDate);
        ByteBuffer line = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        long start = size;
        try {
            while (line.hasRemaining()) {
                ch.write(line);
            }
        } catch (IOException e) {
            try {
                ch.truncate(start);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
                broken = e; // the next append or waiter fails what is unforced and cuts the file back
            }
            throw e;
        }
        size = start + line.limit();
        Ticket ticket = new Ticket(size);
        unforced.add(ticket);
        return ticket;
    }

    /**
     * Returns once the ticket's line is on disk, or throws the failure that kept it from getting there (the line
     * is then gone from the file, to be appended again). The first waiter that finds no force running forces for
     * every line written so far; the others wait for it and, if their line came too late, for the next.
     */
    void awaitDurable(Ticket ticket) throws IOException {
        while (true) {
            List<Ticket> batch;
            FileChannel ch;
            synchronized (this) {
                awaitNoForce();
                if (ticket.durable) {
                    return;
                }
                if (ticket.failure != null) {
                    throw new IOException("outbox line not written: " + ticket.failure, ticket.failure);
                }
                if (broken != null) {
                    abandon(broken);
                    continue; // failed with the rest
                }
                // no force running and the ticket is neither durable nor failed: it is in unforced
                batch = unforced;
                unforced = new ArrayList<>();
                ch = channel;
                forcing = true;
            }
            IOException failure = null;
            try {
                ch.force(true);
            } catch (IOException e) {
                failure = e;
            } catch (RuntimeException | Error e) {
                failure = new IOException("force failed", e);
            }
            synchronized (this) {
                forcing = false;
                if (failure == null) {
                    markDurable(batch);
                } else {
                    log.warn("event=outbox_force_failed file={} lines={} error={}", OutboxFiles.file(dir, channelDate),
                            batch.size() + unforced.size(), failure.toString());
                    fail(batch, failure);
                    abandon(failure);
                }
                notifyAll();
            }
        }
    }

    /** Waits, not interruptibly, until no force is running: a waiter that gave up would leave its line behind. */
    private void awaitNoForce() {
        boolean interrupted = false;
        while (forcing) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void markDurable(List<Ticket> batch) {
        for (Ticket t : batch) {
            t.durable = true;
        }
        if (!batch.isEmpty()) {
            durableSize = batch.get(batch.size() - 1).end;
        }
    }

    private static void fail(List<Ticket> tickets, IOException cause) {
        for (Ticket t : tickets) {
            t.failure = cause;
        }
    }

    /**
     * After a failed force or write (no force running): fails every unforced line, closes the channel and cuts the
     * file back to its last durable line, now or, if that fails too, before the next append.
     */
    private void abandon(IOException cause) {
        broken = null; // handled here too: the channel it concerns is closed below
        fail(unforced, cause);
        unforced = new ArrayList<>();
        if (channel != null) {
            cutFile = OutboxFiles.file(dir, channelDate);
            cutLength = durableSize;
            closeChannel();
        }
        try {
            cutBack();
        } catch (IOException e) {
            log.warn("event=outbox_cut_back_failed file={} length={} error={} detail=\"retried before the next append\"",
                    cutFile, cutLength, e.toString());
        }
        notifyAll();
    }

    /** Forces the unforced lines of the current channel with the monitor held (date change, close). */
    private void forceInline() {
        if (unforced.isEmpty()) {
            return;
        }
        try {
            channel.force(true);
            markDurable(unforced);
            unforced = new ArrayList<>();
        } catch (IOException e) {
            log.warn("event=outbox_force_failed file={} lines={} error={}", OutboxFiles.file(dir, channelDate),
                    unforced.size(), e.toString());
            abandon(e);
        }
        notifyAll();
    }

    private void cutBack() throws IOException {
        if (cutFile == null) {
            return;
        }
        if (Files.exists(cutFile)) {
            try (FileChannel ch = FileChannel.open(cutFile, StandardOpenOption.WRITE)) {
                if (ch.size() > cutLength) {
                    ch.truncate(cutLength);
                    ch.force(true); // or a crash could bring back lines whose callers were told they failed
                }
            }
        }
        cutFile = null;
    }

    private FileChannel channelFor(LocalDate date) throws IOException {
        if (channel != null) {
            return channel;
        }
        PrivateFiles.directory(dir);
        Path file = OutboxFiles.file(dir, date);
        boolean created = !Files.exists(file);
        if (!created) {
            terminateTornLine(file);
        }
        FileChannel ch = opener.open(file);
        try {
            if (created) {
                PrivateFiles.created(file); // replies are tenants' text: the owner's alone
                syncDirectory();
            }
            size = ch.size();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        durableSize = size;
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

    /** Forces what was appended and not yet forced (its waiters return), then closes the file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        awaitNoForce();
        if (broken != null) {
            abandon(broken);
        }
        if (channel != null) {
            forceInline();
        }
        closeChannel();
        try {
            cutBack();
        } catch (IOException e) {
            log.warn("event=outbox_cut_back_failed file={} length={} error={}", cutFile, cutLength, e.toString());
        }
    }
}
