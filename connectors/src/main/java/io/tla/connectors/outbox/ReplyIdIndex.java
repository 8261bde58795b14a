package io.tla.connectors.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.connectors.replies.ReplyIdMemory;
import io.tla.schemas.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reply ids already in the outbox, so a reply delivered again (a retried producer, a rewound consumer, a new
 * consumer group) is not written twice. Bounded: the oldest ids are forgotten first. Thread-safe: the sink's
 * delivery threads share it.
 */
final class ReplyIdIndex {

    private static final Logger log = LoggerFactory.getLogger(ReplyIdIndex.class);

    private static final byte WRITTEN = 1;

    private final ReplyIdMemory ids;

    ReplyIdIndex(int maxIds) {
        this.ids = new ReplyIdMemory(maxIds);
    }

    boolean contains(String replyId) {
        return ids.contains(replyId);
    }

    /** The outbox never asks how old a forgotten id was: ids carry no time. */
    void add(String replyId) {
        ids.put(replyId, WRITTEN, Instant.EPOCH);
    }

    int size() {
        return ids.size();
    }

    /**
     * Rebuilds the index from the outbox files of the last {@code days} UTC days, reading the newest file first
     * and stopping once {@code maxIds} ids are known. Lines that are not JSON (a torn write) are skipped.
     */
    static ReplyIdIndex load(Path dir, LocalDate today, int days, int maxIds) throws IOException {
        ReplyIdIndex index = new ReplyIdIndex(maxIds);
        if (!Files.isDirectory(dir)) {
            return index;
        }
        LocalDate oldest = today.minusDays(days - 1L);
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> OutboxFiles.dateOf(p).filter(d -> !d.isBefore(oldest)).isPresent())
                    .sorted(Comparator.comparing((Path p) -> OutboxFiles.dateOf(p).orElseThrow()).reversed())
                    .toList();
        }
        List<List<String>> newestFirst = new ArrayList<>();
        int total = 0;
        for (Path file : files) {
            if (total >= maxIds) {
                break;
            }
            List<String> fileIds = readIds(file);
            newestFirst.add(fileIds);
            total += fileIds.size();
        }
        for (int i = newestFirst.size() - 1; i >= 0; i--) { // oldest first, so eviction drops the oldest
            newestFirst.get(i).forEach(index::add);
        }
        return index;
    }

    private static List<String> readIds(Path file) throws IOException {
        List<String> ids = new ArrayList<>();
        int skipped = 0;
        // an InputStreamReader replaces malformed bytes (a torn multi-byte character) instead of failing
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode replyId = Json.mapper().readTree(line).path("replyId");
                    if (replyId.isTextual()) {
                        ids.add(replyId.asText());
                        continue;
                    }
                } catch (IOException e) {
                    // fall through: counted below
                }
                skipped++;
            }
        }
        if (skipped > 0) {
            log.warn("event=outbox_unreadable_lines file={} count={}", file, skipped);
        }
        return ids;
    }
}
