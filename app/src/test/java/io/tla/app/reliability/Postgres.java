package io.tla.app.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The machine's PostgreSQL cluster ({@code pg_ctlcluster VERSION main stop|start}), for scenario 5. */
final class Postgres {

    private Postgres() {
    }

    static boolean controllable() {
        return version() != null && Files.isExecutable(Path.of("/usr/bin/pg_ctlcluster"));
    }

    private static String version() {
        try (var versions = Files.list(Path.of("/etc/postgresql"))) {
            return versions.map(p -> p.getFileName().toString()).sorted().reduce((a, b) -> b).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    static void stop() throws Exception {
        ctl("stop");
    }

    /** Starts the cluster and waits until it takes connections. */
    static void start() throws Exception {
        ctl("start");
        Scenarios.await(Duration.ofSeconds(60), () -> {
            try (Connection c = DriverManager.getConnection(Stack.PG_URL)) {
                return c.isValid(2);
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static void ctl(String action) throws Exception {
        Process process = new ProcessBuilder(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version(), "main",
                action)).redirectErrorStream(true).start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("pg_ctlcluster " + action + " failed: "
                    + new String(process.getInputStream().readAllBytes()));
        }
    }
}
