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
                            + "the readiness file. The default is relative to the installation when started by ./tla, "
                            + "else to the working directory; a value you set is relative to the working directory.");

    /** Set by the {@code ./tla} launcher to its own directory, so the default data directory does not move with the shell's. */
    public static final String HOME_PROPERTY = "tla.home";

    public static DataConfig from(TlaConfig config) {
        String dir = (String) config.parse(DEF).get(DATA_DIR);
        String home = System.getProperty(HOME_PROPERTY);
        Path path = config.raw(DATA_DIR) == null && home != null ? Path.of(home).resolve(dir) : Path.of(dir);
        return new DataConfig(path.toAbsolutePath().normalize());
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
