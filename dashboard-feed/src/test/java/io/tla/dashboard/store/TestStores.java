package io.tla.dashboard.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Fresh dashboard stores for tests, on both databases the store supports: a SQLite file under the test's directory,
 * or a schema of its own in the PostgreSQL database on 127.0.0.1:5432 (CI starts it; a test fails when it is
 * unreachable). {@link #close()} closes the stores still open and drops the schemas.
 */
public final class TestStores implements AutoCloseable {

    public static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    public enum Backend { SQLITE, POSTGRESQL }

    private final Path dir;
    private final String schemaPrefix;
    private final List<DashboardStore> stores = new ArrayList<>();
    private final List<String> schemas = new ArrayList<>();

    /** Stores whose SQLite files lie under {@code dir} and whose PostgreSQL schemas start {@code schemaPrefix}. */
    public TestStores(Path dir, String schemaPrefix) {
        this.dir = dir;
        this.schemaPrefix = schemaPrefix;
    }

    /**
     * The URL of an empty store: the SQLite file {@code sqliteFile} under the directory (not created yet), or a new
     * PostgreSQL schema.
     */
    public String url(Backend backend, String sqliteFile) throws SQLException {
        if (backend == Backend.SQLITE) {
            return "jdbc:sqlite:" + dir.resolve(sqliteFile);
        }
        String schema = schemaPrefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        schemas.add(schema);
        return PG_URL + "&currentSchema=" + schema;
    }

    /** Opens and migrates the store at {@code url}; closed by {@link #close()} unless closed before. */
    public DashboardStore open(String url, Clock clock) {
        DashboardStore store = DashboardStore.open(url, clock);
        stores.add(store);
        store.migrate();
        return store;
    }

    /** Closes a store now, as a restart would, so it is not closed again at the end. */
    public void close(DashboardStore store) {
        store.close();
        stores.remove(store);
    }

    @Override
    public void close() throws SQLException {
        stores.forEach(DashboardStore::close);
        stores.clear();
        for (String schema : schemas) {
            try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
        schemas.clear();
    }
}
