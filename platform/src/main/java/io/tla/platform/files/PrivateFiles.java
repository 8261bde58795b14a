package io.tla.platform.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys, replies and the dashboard store hold tenants' data: the files we create are the owner's alone (0600, their
 * directories 0700), whatever the umask, and files an older release left readable are tightened on start, with
 * one {@code event=file_permissions_tightened} line each. On a file system without POSIX permissions nothing
 * is changed.
 */
public final class PrivateFiles {

    private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);

    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {
    }

    /**
     * Creates {@code dir} (and missing parents) if needed, 0700 from the start; an existing one that is more open is
     * tightened, with a warning.
     */
    public static Path directory(Path dir) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                if (dir.toAbsolutePath().getParent() != null) {
                    Files.createDirectories(dir.toAbsolutePath().getParent());
                }
                if (POSIX) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                } else {
                    Files.createDirectory(dir);
                }
            }
        } catch (FileAlreadyExistsException e) {
            // created meanwhile by another thread or process: checked below like any existing directory
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir, e);
        }
        restrict(dir, OWNER_ONLY_DIR, true);
        return dir;
    }

    /** Makes an existing file 0600; returns whether it had to (warned: it was more open than it should be). */
    public static boolean file(Path file) {
        return restrict(file, OWNER_ONLY_FILE, true);
    }

    /**
     * Makes a file this process has just created (through a library that does not take permissions, such as the
     * SQLite driver) 0600 before anything is written to it; nothing to warn about.
     */
    public static boolean created(Path file) {
        return restrict(file, OWNER_ONLY_FILE, false);
    }

    /** Makes {@code dir} 0700 and every regular file directly in it 0600; returns how many had to change. */
    public static int tighten(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int changed = restrict(dir, OWNER_ONLY_DIR, true) ? 1 : 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                changed += restrict(file, OWNER_ONLY_FILE, true) ? 1 : 0;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return changed;
    }

    private static boolean restrict(Path path, Set<PosixFilePermission> wanted, boolean warn) {
        if (!POSIX || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Set<PosixFilePermission> current = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
            if (current.equals(wanted)) {
                return false;
            }
            Files.setPosixFilePermissions(path, wanted);
            if (warn) {
                log.warn("event=file_permissions_tightened path={} from={} to={}", path,
                        PosixFilePermissions.toString(current), PosixFilePermissions.toString(wanted));
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restrict the permissions of " + path, e);
        }
    }
}
