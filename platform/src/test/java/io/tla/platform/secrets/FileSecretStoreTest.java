package io.tla.platform.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key files on a real file system: what the store creates and what it finds are the owner's alone. */
class FileSecretStoreTest {

    @TempDir
    Path data;

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void secretsDirectoryIsCreated0700AndEveryKeyFileInIt0600() throws Exception {
        Path dir = data.resolve("secrets");
        FileSecretStore store = new FileSecretStore(dir);

        Path written = store.create("openai-key", "sk-test");
        SecretStores.ResolvedKey generated = SecretStores.webhookKey(new EnvSecretStore(Map.of()), store,
                "teams-webhook-hmac", true);

        assertThat(generated.generated()).isTrue();
        assertThat(mode(dir)).isEqualTo("rwx------");
        assertThat(mode(written)).isEqualTo("rw-------");
        assertThat(mode(dir.resolve("teams-webhook-hmac"))).isEqualTo("rw-------");
    }

    @Test
    void existingReadableKeyFilesAreTightenedWhenTheStoreIsOpened() throws Exception {
        Path dir = Files.createDirectories(data.resolve("secrets"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path key = Files.writeString(dir.resolve("teams-webhook-hmac"), "a2V5\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        FileSecretStore store = new FileSecretStore(dir);

        assertThat(mode(dir)).isEqualTo("rwx------");
        assertThat(mode(key)).isEqualTo("rw-------");
        assertThat(store.get("teams-webhook-hmac")).map(Secret::reveal).contains("a2V5");
    }
}
