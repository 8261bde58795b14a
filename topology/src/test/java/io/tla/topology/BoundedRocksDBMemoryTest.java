package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.config.StreamsSettings;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.rocksdb.Options;

class BoundedRocksDBMemoryTest {

    private static Map<String, Object> configs(StreamsSettings settings) {
        Properties props = new Properties();
        BoundedRocksDBMemory.configure(props, settings);
        Map<String, Object> configs = new HashMap<>();
        props.forEach((key, value) -> configs.put((String) key, value));
        return configs;
    }

    /** Options as Kafka Streams hands them to the setter: with its own table config. */
    private static Options storeOptions(String store, Map<String, Object> configs) {
        Options options = new Options();
        options.setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
        new BoundedRocksDBMemory().setConfig(store, options, configs);
        return options;
    }

    @Test
    void everyStoreOfTheProcessSharesOneBlockCacheAndOneWriteBufferManager() {
        Map<String, Object> configs = configs(new StreamsSettings("app", "exactly_once_v2", 1, 100, 24, 8));
        try (Options budget = storeOptions("tenant-budget-store", configs);
             Options turns = storeOptions("conversation-turns-v2-store", configs)) {
            BlockBasedTableConfigWithAccessibleCache budgetTable =
                    (BlockBasedTableConfigWithAccessibleCache) budget.tableFormatConfig();
            BlockBasedTableConfigWithAccessibleCache turnsTable =
                    (BlockBasedTableConfigWithAccessibleCache) turns.tableFormatConfig();

            assertThat(budgetTable.blockCache()).isNotNull().isSameAs(turnsTable.blockCache());
            assertThat(budgetTable.cacheIndexAndFilterBlocks()).isTrue();
            assertThat(budget.writeBufferManager()).isNotNull().isSameAs(turns.writeBufferManager());
            // memtables small enough that thirty stores share 8 MB without each holding a large one
            assertThat(budget.writeBufferSize()).isEqualTo(1L << 20);
            assertThat(budget.maxWriteBufferNumber()).isEqualTo(2);
        }
    }

    @Test
    void theSizesComeFromTheStreamsSettingsInBytes() {
        Properties props = new Properties();
        BoundedRocksDBMemory.configure(props, new StreamsSettings("app", "exactly_once_v2", 1, 100));

        assertThat(props.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)).isEqualTo(BoundedRocksDBMemory.class);
        assertThat(props.get(BoundedRocksDBMemory.BLOCK_CACHE_BYTES))
                .isEqualTo(StreamsSettings.DEFAULT_ROCKSDB_BLOCK_CACHE_MB * 1024L * 1024L);
        assertThat(props.get(BoundedRocksDBMemory.WRITE_BUFFER_BYTES))
                .isEqualTo(StreamsSettings.DEFAULT_ROCKSDB_WRITE_BUFFER_MB * 1024L * 1024L);
        assertThat(BoundedRocksDBMemory.shared(32L << 20, 16L << 20))
                .isSameAs(BoundedRocksDBMemory.shared(32L << 20, 16L << 20))
                .isNotSameAs(BoundedRocksDBMemory.shared(64L << 20, 16L << 20));
    }
}
