package io.tla.connectors.outbox;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Naming of the outbox's daily files: {@code replies-YYYY-MM-DD.jsonl}, one per UTC day of writing. */
public final class OutboxFiles {

    private static final Pattern NAME = Pattern.compile("replies-(\\d{4}-\\d{2}-\\d{2})\\.jsonl");

    private OutboxFiles() {
    }

    public static Path file(Path outboxDir, LocalDate utcDate) {
        return outboxDir.resolve("replies-" + utcDate + ".jsonl");
    }

    /** The UTC date of an outbox file, or empty when the name is not an outbox file's. */
    public static Optional<LocalDate> dateOf(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.parse(m.group(1)));
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
