package io.tla.platform.secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import io.tla.platform.files.PrivateFiles;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Secret {@code NAME} from the file {@code <dir>/NAME} (one value, surrounding white space ignored). The directory
 * is 0700 and every key file in it 0600: created so, and tightened when the store is opened (an older release, a
 * copy or an operator may have left them readable), with one {@code event=file_permissions_tightened} line each.
 */
public final class FileSecretStore implements SecretStore {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path dir;

    public FileSecretStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        PrivateFiles.tighten(this.dir);
    }

    /** The directory, created 0700 when missing. */
    public Path directory() {
        return PrivateFiles.directory(dir);
    }

    public Path pathOf(String name) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("invalid secret name: " + name);
        }
        return dir.resolve(name);
    }

    @Override
    public Optional<Secret> get(String name) {
        Path path = pathOf(name);
        if (!Files.isRegularFile(path)) {
            return Optional.empty();
        }
        try {
            String value = Files.readString(path, StandardCharsets.UTF_8).trim();
            return value.isEmpty() ? Optional.empty() : Optional.of(new Secret(name, value, null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read secret file " + path, e);
        }
    }

    /**
     * Writes a new secret readable by the owner only. Fails if it already exists, so a running instance never
     * overwrites a key another instance generated.
     */
    public Path create(String name, String value) {
        Path path = pathOf(name);
        try {
            directory();
            // Write a private temporary file, then hard-link it into place: the link fails if the secret exists,
            // and a concurrent reader sees either no file or the whole value, never an empty one.
            Path temp = Files.createTempFile(dir, "." + name, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.writeString(temp, value + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
                Files.createLink(path, temp);
                PrivateFiles.file(path); // a link shares the temporary file's 0600; this only checks it
            } finally {
                Files.deleteIfExists(temp);
            }
            return path;
        } catch (FileAlreadyExistsException e) {
            throw new IllegalStateException("secret " + name + " already exists at " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write secret file " + path, e);
        }
    }

    @Override
    public String locationOf(String name) {
        return pathOf(name).toString();
    }

    @Override
    public String kind() {
        return "file";
    }
}
