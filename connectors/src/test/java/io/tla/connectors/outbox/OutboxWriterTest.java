package io.tla.connectors.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outbox files hold tenants' translated text: on a real file system they are the owner's alone. */
class OutboxWriterTest {

    @TempDir
    Path data;

    @Test
    void outboxFilesAreCreated0600InAnOwnerOnlyDirectory() throws Exception {
        Path dir = data.resolve("outbox");
        try (OutboxWriter writer = new OutboxWriter(dir)) {
            writer.append("{\"replyId\":\"r-1\"}".getBytes(StandardCharsets.UTF_8));
            writer.commit(LocalDate.parse("2026-11-25"));
        }
        Path file = OutboxFiles.file(dir, LocalDate.parse("2026-11-25"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Files.readString(file)).isEqualTo("{\"replyId\":\"r-1\"}\n");
    }
}
