package io.tla.topology;

import io.tla.platform.config.StreamsSettings;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store in the process together. Left alone, Kafka Streams gives each
 * store instance (one per store and task: five stores on six partitions are thirty) its own 50 MB block cache and
 * up to three 16 MB memtables, so the process's RSS grows with its partitions. Here all of them share one LRU block
 * cache of {@code streams.rocksdb.block-cache-mb}; index and filter blocks live in it too, and a write-buffer
 * manager charges the memtables to it, flushing once they hold {@code streams.rocksdb.write-buffer-mb}.
 *
 * <p>Kafka Streams creates this class by name and passes the application's configuration; the sizes come from
 * {@link #configure}. The cache and the write-buffer manager are made once per size and never closed: every store
 * of the process, whichever application it belongs to, shares them for the life of the process.
 */
public final class BoundedRocksDBMemory implements RocksDBConfigSetter {

    /** Streams configuration keys (set by {@link #configure}), in bytes. */
    public static final String BLOCK_CACHE_BYTES = "tla.rocksdb.block-cache-bytes";
    public static final String WRITE_BUFFER_BYTES = "tla.rocksdb.write-buffer-bytes";

    /** Small memtables: with thirty stores sharing the budget, each should flush early rather than hold it. */
    private static final long MAX_MEMTABLE_BYTES = 4L << 20;
    private static final long MIN_MEMTABLE_BYTES = 512L << 10;
    /** A fifth of the cache is kept for index and filter blocks, so data blocks cannot evict them. */
    private static final double HIGH_PRIORITY_RATIO = 0.2;

    private static final Map<List<Long>, Shared> SHARED = new ConcurrentHashMap<>();

    /** The process's cache and write-buffer manager for one pair of sizes. */
    record Shared(Cache cache, WriteBufferManager writeBuffers, long memtableBytes) {
    }

    /** Adds the setter and its sizes to Kafka Streams properties. */
    public static void configure(Properties props, StreamsSettings settings) {
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDBMemory.class);
        props.put(BLOCK_CACHE_BYTES, settings.rocksdbBlockCacheMb() * (1L << 20));
        props.put(WRITE_BUFFER_BYTES, settings.rocksdbWriteBufferMb() * (1L << 20));
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared shared = shared(bytes(configs, BLOCK_CACHE_BYTES, StreamsSettings.DEFAULT_ROCKSDB_BLOCK_CACHE_MB),
                bytes(configs, WRITE_BUFFER_BYTES, StreamsSettings.DEFAULT_ROCKSDB_WRITE_BUFFER_MB));
        // Kafka Streams sets a BlockBasedTableConfig of its own (which lets it read the cache's metrics): keep it
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(shared.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(shared.writeBuffers());
        options.setWriteBufferSize(shared.memtableBytes());
        options.setMaxWriteBufferNumber(2);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write-buffer manager outlive every store: nothing of this store's to close
    }

    static Shared shared(long cacheBytes, long writeBufferBytes) {
        long writeBuffers = Math.min(writeBufferBytes, cacheBytes);
        return SHARED.computeIfAbsent(List.of(cacheBytes, writeBuffers), sizes -> {
            Cache cache = new LRUCache(cacheBytes, -1, false, HIGH_PRIORITY_RATIO);
            long memtable = Math.max(MIN_MEMTABLE_BYTES, Math.min(MAX_MEMTABLE_BYTES, writeBuffers / 8));
            return new Shared(cache, new WriteBufferManager(writeBuffers, cache), memtable);
        });
    }

    private static long bytes(Map<String, Object> configs, String key, int defaultMb) {
        Object value = configs.get(key);
        if (value instanceof Number number) {
            return number.longValue();
        }
        return value == null ? defaultMb * (1L << 20) : Long.parseLong(value.toString().trim());
    }
}
