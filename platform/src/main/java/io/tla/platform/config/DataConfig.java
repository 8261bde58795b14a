package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.nio.file.Path;
import org.apache.kafka.common.config.ConfigDef;

/** Where a process keeps its files: broker logs, state stores, SQLite, outbox, secrets, readiness file. */
public record DataConfig(Path dataDir) {

    public static final String DATA_DIR = "data.dir";

    public static final ConfigDef DEF = new ConfigDef()
            .define(DATA_DIR, STRING, "./data", new ConfigDef.NonEmptyString(), HIGH,
                    "Directory for broker logs, state stores, the SQLite store, the reply outbox, file secrets and "
                            + "the readiness file.");

    public static DataConfig from(TlaConfig config) {
        return new DataConfig(Path.of((String) config.parse(DEF).get(DATA_DIR)).toAbsolutePath().normalize());
    }

    public Path kafkaLogDir() {
        return dataDir.resolve("kafka");
    }

    public Path stateDir() {
        return dataDir.resolve("streams");
    }

    public Path outboxDir() {
        return dataDir.resolve("outbox");
    }

    public Path secretsDir() {
        return dataDir.resolve("secrets");
    }
}
