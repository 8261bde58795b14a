package io.tla.connectors.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox writer's promise: a line counts as written only once a force covering it succeeded; lines written
 * together share a force; a failed write or force leaves neither half a line nor a line its caller was told failed.
 */
class OutboxWriterTest {

    private static final LocalDate DAY = LocalDate.parse("2026-11-25");

    @TempDir
    Path data;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    private static byte[] json(String replyId) {
        return ("{\"replyId\":\"" + replyId + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    @Test
    void outboxFilesAreCreated0600InAnOwnerOnlyDirectory() throws Exception {
        Path dir = data.resolve("outbox");
        try (OutboxWriter writer = new OutboxWriter(dir)) {
            writer.write(json("r-1"), DAY);
        }
        Path file = OutboxFiles.file(dir, DAY);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Files.readString(file)).isEqualTo("{\"replyId\":\"r-1\"}\n");
    }

    @Test
    void concurrentAppendersAllGetDurableLinesEachInTheFileOnceIntactAndInTheirThreadsOrder() throws Exception {
        Path dir = data.resolve("outbox");
        List<Channel> opened = new ArrayList<>();
        int threadCount = 8;
        int perThread = 300;
        try (OutboxWriter writer = new OutboxWriter(dir, recording(opened))) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threadCount; t++) {
                int thread = t;
                done.add(threads.submit(() -> {
                    go.await();
                    for (int n = 0; n < perThread; n++) {
                        // a longer line than a page boundary likes, so torn or interleaved writes would show
                        String line = "{\"thread\":" + thread + ",\"n\":" + n + ",\"text\":\"" + "x".repeat(300 + n)
                                + "\"}";
                        writer.write(line.getBytes(StandardCharsets.UTF_8), DAY);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        }

        List<String> lines = lines(OutboxFiles.file(dir, DAY));
        assertThat(lines).hasSize(threadCount * perThread);
        Map<Integer, Integer> nextOf = new ConcurrentHashMap<>();
        Set<String> seen = new HashSet<>();
        for (String line : lines) {
            JsonNode node = Json.mapper().readTree(line);
            int thread = node.get("thread").asInt();
            int n = node.get("n").asInt();
            assertThat(node.get("text").asText()).hasSize(300 + n);
            assertThat(n).as("thread %d's next line", thread).isEqualTo(nextOf.getOrDefault(thread, 0));
            nextOf.put(thread, n + 1);
            assertThat(seen.add(thread + "/" + n)).isTrue();
        }
        assertThat(opened).singleElement().satisfies(ch -> {
            assertThat(ch.forces.get()).isBetween(1, threadCount * perThread);
            assertThat(ch.isOpen()).isFalse();
        });
    }

    @Test
    void linesWrittenWhileAForceRunsShareTheNextForce() throws Exception {
        Path dir = data.resolve("outbox");
        List<Channel> opened = new ArrayList<>();
        try (OutboxWriter writer = new OutboxWriter(dir, recording(opened))) {
            OutboxWriter.Ticket first = writer.append(json("r-1"), DAY);
            Channel ch = opened.get(0);
            ch.holdForces();
            Future<?> leader = threads.submit(() -> {
                writer.awaitDurable(first);
                return null;
            });
            ch.awaitForceStarted();

            // appending does not wait for the force in progress
            OutboxWriter.Ticket second = writer.append(json("r-2"), DAY);
            OutboxWriter.Ticket third = writer.append(json("r-3"), DAY);
            Future<?> a = threads.submit(() -> {
                writer.awaitDurable(second);
                return null;
            });
            Future<?> b = threads.submit(() -> {
                writer.awaitDurable(third);
                return null;
            });
            Thread.sleep(100); // both are waiting for the running force; neither may return before it ends
            assertThat(a.isDone() || b.isDone()).isFalse();

            ch.releaseForces();
            leader.get(10, TimeUnit.SECONDS);
            a.get(10, TimeUnit.SECONDS);
            b.get(10, TimeUnit.SECONDS);
            assertThat(ch.forces.get()).isEqualTo(2); // one for r-1, one for r-2 and r-3 together
        }
        assertThat(lines(OutboxFiles.file(dir, DAY))).containsExactly("{\"replyId\":\"r-1\"}", "{\"replyId\":\"r-2\"}",
                "{\"replyId\":\"r-3\"}");
    }

    @Test
    void aFailedForceFailsTheLinesItCoveredAndThoseWrittenSinceAndCutsTheFileBackToTheLastDurableLine()
            throws Exception {
        Path dir = data.resolve("outbox");
        Path file = OutboxFiles.file(dir, DAY);
        List<Channel> opened = new ArrayList<>();
        try (OutboxWriter writer = new OutboxWriter(dir, recording(opened))) {
            writer.write(json("r-1"), DAY);
            Channel ch = opened.get(0);
            OutboxWriter.Ticket covered = writer.append(json("r-2"), DAY);
            ch.failForces.set(true);
            ch.holdForces();
            Future<?> leader = threads.submit(() -> {
                writer.awaitDurable(covered);
                return null;
            });
            ch.awaitForceStarted();
            OutboxWriter.Ticket later = writer.append(json("r-3"), DAY); // written while the failing force runs
            ch.releaseForces();

            assertThatThrownBy(() -> leader.get(10, TimeUnit.SECONDS)).hasRootCauseMessage("disk on fire");
            assertThatThrownBy(() -> writer.awaitDurable(later)).isInstanceOf(IOException.class)
                    .hasRootCauseMessage("disk on fire");
            assertThat(lines(file)).containsExactly("{\"replyId\":\"r-1\"}");
            assertThat(ch.isOpen()).isFalse();

            // the callers retry: each line once, in a reopened file
            writer.write(json("r-2"), DAY);
            writer.write(json("r-3"), DAY);
            assertThat(opened).hasSize(2);
        }
        assertThat(lines(file)).containsExactly("{\"replyId\":\"r-1\"}", "{\"replyId\":\"r-2\"}",
                "{\"replyId\":\"r-3\"}");
    }

    @Test
    void aWriteThatFailsPartWayIsCutOffWhereItsLineStarted() throws Exception {
        Path dir = data.resolve("outbox");
        Path file = OutboxFiles.file(dir, DAY);
        List<Channel> opened = new ArrayList<>();
        try (OutboxWriter writer = new OutboxWriter(dir, recording(opened))) {
            writer.write(json("r-1"), DAY);
            OutboxWriter.Ticket before = writer.append(json("r-2"), DAY);
            opened.get(0).tearNextWrite.set(true);

            assertThatThrownBy(() -> writer.append(json("r-3"), DAY)).hasMessage("torn write");
            writer.awaitDurable(before); // a line written before the failed one is not affected
            writer.write(json("r-3"), DAY);
        }
        assertThat(lines(file)).containsExactly("{\"replyId\":\"r-1\"}", "{\"replyId\":\"r-2\"}",
                "{\"replyId\":\"r-3\"}");
    }

    @Test
    void aNewUtcDayForcesTheOldFilesLinesBeforeSwitchingFiles() throws Exception {
        Path dir = data.resolve("outbox");
        LocalDate next = DAY.plusDays(1);
        List<Channel> opened = new ArrayList<>();
        try (OutboxWriter writer = new OutboxWriter(dir, recording(opened))) {
            OutboxWriter.Ticket lastOfDay = writer.append(json("r-1"), DAY);
            OutboxWriter.Ticket firstOfNext = writer.append(json("r-2"), next);

            Channel old = opened.get(0);
            assertThat(old.forces.get()).isEqualTo(1);
            assertThat(old.isOpen()).isFalse();
            writer.awaitDurable(lastOfDay); // already durable: no force of its own
            assertThat(old.forces.get()).isEqualTo(1);
            writer.awaitDurable(firstOfNext);
            assertThat(opened.get(1).forces.get()).isEqualTo(1);
        }
        assertThat(lines(OutboxFiles.file(dir, DAY))).containsExactly("{\"replyId\":\"r-1\"}");
        assertThat(lines(OutboxFiles.file(dir, next))).containsExactly("{\"replyId\":\"r-2\"}");
    }

    @Test
    void endsATornLastLineBeforeAppendingAfterIt() throws Exception {
        Path dir = data.resolve("outbox");
        Files.createDirectories(dir);
        Path file = OutboxFiles.file(dir, DAY);
        Files.writeString(file, "{\"replyId\":\"r-1\"}\n{\"replyId\":\"to");
        try (OutboxWriter writer = new OutboxWriter(dir)) {
            writer.write(json("r-2"), DAY);
        }
        assertThat(lines(file)).containsExactly("{\"replyId\":\"r-1\"}", "{\"replyId\":\"to", "{\"replyId\":\"r-2\"}");
    }

    @Test
    void closingForcesLinesAppendedAndNotYetAwaited() throws Exception {
        Path dir = data.resolve("outbox");
        List<Channel> opened = new ArrayList<>();
        OutboxWriter writer = new OutboxWriter(dir, recording(opened));
        OutboxWriter.Ticket ticket = writer.append(json("r-1"), DAY);
        writer.close();

        assertThat(opened.get(0).forces.get()).isEqualTo(1);
        writer.awaitDurable(ticket);
        assertThatThrownBy(() -> writer.append(json("r-2"), DAY)).isInstanceOf(IOException.class);
        assertThat(lines(OutboxFiles.file(dir, DAY))).containsExactly("{\"replyId\":\"r-1\"}");
    }

    // --- a file channel that counts forces and can hold, fail or tear them -----------------------------------

    private static OutboxWriter.ChannelOpener recording(List<Channel> opened) {
        return file -> {
            Channel ch = new Channel(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND));
            synchronized (opened) {
                opened.add(ch);
            }
            return ch;
        };
    }

    /** Delegates to a real channel; its forces can be counted, held until released, or made to fail. */
    private static final class Channel extends FileChannel {
        final FileChannel delegate;
        final AtomicInteger forces = new AtomicInteger();
        final AtomicBoolean failForces = new AtomicBoolean();
        final AtomicBoolean tearNextWrite = new AtomicBoolean();
        private volatile CountDownLatch release = new CountDownLatch(0);
        private volatile CountDownLatch started = new CountDownLatch(1);

        Channel(FileChannel delegate) {
            this.delegate = delegate;
        }

        /** Forces from now on wait for {@link #releaseForces}; {@link #awaitForceStarted} waits for the next one. */
        void holdForces() {
            started = new CountDownLatch(1);
            release = new CountDownLatch(1);
        }

        void releaseForces() {
            release.countDown();
        }

        void awaitForceStarted() throws InterruptedException {
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public void force(boolean metaData) throws IOException {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            forces.incrementAndGet();
            if (failForces.get()) {
                throw new IOException("disk on fire");
            }
            delegate.force(metaData);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (tearNextWrite.getAndSet(false)) {
                ByteBuffer half = src.slice().limit(src.remaining() / 2);
                src.position(src.position() + delegate.write(half));
                throw new IOException("torn write");
            }
            return delegate.write(src);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return delegate.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return delegate.read(dsts, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return delegate.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return delegate.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            delegate.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            delegate.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return delegate.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return delegate.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return delegate.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return delegate.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return delegate.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return delegate.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            delegate.close();
        }
    }
}
