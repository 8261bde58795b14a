package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The Kafka Streams application: its id (consumer group and internal topic prefix), its guarantees, and the memory
 * its RocksDB stores may use outside the heap.
 *
 * @param rocksdbBlockCacheMb  one block cache shared by every store of the process: data, index and filter blocks,
 *                             and the memtables charged to it
 * @param rocksdbWriteBufferMb the part of it memtables may take before stores flush them
 */
public record StreamsSettings(String applicationId, String processingGuarantee, int threads, long commitIntervalMs,
                              int rocksdbBlockCacheMb, int rocksdbWriteBufferMb) {

    public static final String APPLICATION_ID = "streams.application-id";
    public static final String PROCESSING_GUARANTEE = "streams.processing-guarantee";
    public static final String THREADS = "streams.threads";
    public static final String COMMIT_INTERVAL_MS = "streams.commit-interval-ms";
    public static final String ROCKSDB_BLOCK_CACHE_MB = "streams.rocksdb.block-cache-mb";
    public static final String ROCKSDB_WRITE_BUFFER_MB = "streams.rocksdb.write-buffer-mb";
    public static final int DEFAULT_ROCKSDB_BLOCK_CACHE_MB = 32;
    public static final int DEFAULT_ROCKSDB_WRITE_BUFFER_MB = 16;

    public static final ConfigDef DEF = new ConfigDef()
            .define(APPLICATION_ID, STRING, "tla-streams", new ConfigDef.NonEmptyString(), HIGH,
                    "Kafka Streams application id; every topology instance of one deployment shares it.")
            .define(PROCESSING_GUARANTEE, STRING, "exactly_once_v2", ValidString.in("exactly_once_v2", "at_least_once"),
                    MEDIUM, "exactly_once_v2 makes the reply and telemetry output exactly-once per input message.")
            .define(THREADS, INT, 1, Range.between(1, 64), MEDIUM,
                    "Stream threads per instance (the work is CPU-bound; scale out with instances).")
            .define(COMMIT_INTERVAL_MS, LONG, 100L, Range.between(10, 60_000), LOW,
                    "How often the topology commits; bounds the added latency of each repartition hop under EOS.")
            .define(ROCKSDB_BLOCK_CACHE_MB, INT, DEFAULT_ROCKSDB_BLOCK_CACHE_MB, Range.between(4, 65_536), MEDIUM,
                    "Off-heap memory of all the topology's RocksDB stores together, whatever the number of tasks: "
                    + "one block cache shared by every store of the process, which also accounts for the memtables.")
            .define(ROCKSDB_WRITE_BUFFER_MB, INT, DEFAULT_ROCKSDB_WRITE_BUFFER_MB, Range.between(1, 65_536), LOW,
                    "Of streams.rocksdb.block-cache-mb, what the stores' memtables may take together before they are "
                    + "flushed; at most the block cache's size.");

    /** Settings with the default RocksDB memory bounds. */
    public StreamsSettings(String applicationId, String processingGuarantee, int threads, long commitIntervalMs) {
        this(applicationId, processingGuarantee, threads, commitIntervalMs, DEFAULT_ROCKSDB_BLOCK_CACHE_MB,
                DEFAULT_ROCKSDB_WRITE_BUFFER_MB);
    }

    public StreamsSettings {
        if (rocksdbWriteBufferMb > rocksdbBlockCacheMb) {
            throw new ConfigException(ROCKSDB_WRITE_BUFFER_MB, rocksdbWriteBufferMb,
                    "must not exceed " + ROCKSDB_BLOCK_CACHE_MB + " (" + rocksdbBlockCacheMb + "), which it is part of");
        }
    }

    public static StreamsSettings from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        return new StreamsSettings((String) v.get(APPLICATION_ID), (String) v.get(PROCESSING_GUARANTEE),
                (Integer) v.get(THREADS), (Long) v.get(COMMIT_INTERVAL_MS), (Integer) v.get(ROCKSDB_BLOCK_CACHE_MB),
                (Integer) v.get(ROCKSDB_WRITE_BUFFER_MB));
    }
}
