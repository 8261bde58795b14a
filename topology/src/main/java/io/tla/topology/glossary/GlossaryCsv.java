package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads a glossary CSV file: UTF-8 (a byte-order mark is ignored), RFC 4180 quoting, a header row naming the
 * columns {@code source}, {@code target}, {@code language} and optionally {@code strict}, in any order and any
 * case. Empty lines are ignored; values are trimmed. {@code strict} accepts {@code true/false}, {@code yes/no},
 * {@code 1/0}; empty means the import's default.
 *
 * <p>Every row is checked before anything is imported: the result lists the good entries and each bad row with
 * its line number (the line the row starts on, counting the header as line 1) and the reason. A problem with the
 * file as a whole (not UTF-8, no header, an unknown column, an unclosed quote) is an {@link InvalidFileException}.
 */
public final class GlossaryCsv {

    public static final int MAX_TERM_LENGTH = 200;

    private static final String SOURCE = "source";
    private static final String TARGET = "target";
    private static final String LANGUAGE = "language";
    private static final String STRICT = "strict";
    private static final List<String> COLUMNS = List.of(SOURCE, TARGET, LANGUAGE, STRICT);
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder().setTrim(true).setIgnoreEmptyLines(true).get();

    private GlossaryCsv() {
    }

    /** What the entries of a file get besides their row: whose they are, where they apply, and when. */
    public record Target(String tenantId, GlossaryEntry.Scope scope, String scopeId, boolean strictByDefault,
                         Instant updatedAt) {
        public Target {
            Objects.requireNonNull(tenantId, "tenantId");
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(updatedAt, "updatedAt");
        }
    }

    /** A row that cannot be imported, with the line it starts on. */
    public record BadRow(long line, String reason) {
        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }

    /** The good entries in file order and the bad rows; import nothing unless {@link #badRows()} is empty. */
    public record Result(List<GlossaryEntry> entries, List<BadRow> badRows) {
        public Result {
            entries = List.copyOf(entries);
            badRows = List.copyOf(badRows);
        }
    }

    /** The file cannot be read as a glossary at all. */
    public static final class InvalidFileException extends IllegalArgumentException {
        public InvalidFileException(String message) {
            super(message);
        }
    }

    public static Result parse(byte[] file, Target target) {
        String text = decodeUtf8(file);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        LineIndex lines = new LineIndex(text);
        List<GlossaryEntry> entries = new ArrayList<>();
        List<BadRow> bad = new ArrayList<>();
        Map<String, Long> firstLineOfKey = new HashMap<>();
        try (CSVParser parser = CSVParser.builder().setReader(new StringReader(text)).setFormat(FORMAT).get()) {
            Map<String, Integer> columns = null;
            for (CSVRecord record : parser) {
                long line = lines.lineAt(recordStart(text, record.getCharacterPosition()));
                if (columns == null) {
                    columns = header(record, line);
                    continue;
                }
                if (record.size() == 1 && record.get(0).isEmpty()) {
                    continue;
                }
                if (record.size() != columns.size()) {
                    bad.add(new BadRow(line, "expected " + columns.size() + " fields (" + String.join(",", columns.keySet())
                            + "), found " + record.size()));
                    continue;
                }
                try {
                    GlossaryEntry entry = entry(record, columns, target);
                    Long earlier = firstLineOfKey.putIfAbsent(entry.storeKey(), line);
                    if (earlier != null) {
                        bad.add(new BadRow(line, "duplicate of line " + earlier + " (same source term and language)"));
                        continue;
                    }
                    entries.add(entry);
                } catch (IllegalArgumentException e) {
                    bad.add(new BadRow(line, e.getMessage()));
                }
            }
            if (columns == null) {
                throw new InvalidFileException("the file is empty: expected a header row " + String.join(",", COLUMNS.subList(0, 3))
                        + "[,strict]");
            }
        } catch (IOException | UncheckedIOException e) {
            throw new InvalidFileException("not a readable CSV file: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        } catch (IllegalStateException e) {
            // commons-csv reports an unclosed quote or other malformed input this way
            throw new InvalidFileException("not a readable CSV file: " + e.getMessage());
        }
        return new Result(entries, bad);
    }

    // The parser's position for a record can be that of the empty lines it skipped before it.
    private static long recordStart(String text, long position) {
        int at = (int) position;
        while (at < text.length() && (text.charAt(at) == '\n' || text.charAt(at) == '\r')) {
            at++;
        }
        return at;
    }

    private static Map<String, Integer> header(CSVRecord record, long line) {
        Map<String, Integer> columns = new LinkedHashMap<>();
        for (int i = 0; i < record.size(); i++) {
            String name = record.get(i).strip().toLowerCase(Locale.ROOT);
            if (!COLUMNS.contains(name)) {
                throw new InvalidFileException("line " + line + ": unknown column '" + record.get(i)
                        + "' in the header (expected source,target,language[,strict])");
            }
            if (columns.putIfAbsent(name, i) != null) {
                throw new InvalidFileException("line " + line + ": column '" + name + "' appears twice in the header");
            }
        }
        for (String required : COLUMNS.subList(0, 3)) {
            if (!columns.containsKey(required)) {
                throw new InvalidFileException("line " + line + ": the header has no '" + required
                        + "' column (expected source,target,language[,strict])");
            }
        }
        return columns;
    }

    private static GlossaryEntry entry(CSVRecord record, Map<String, Integer> columns, Target target) {
        String source = record.get(columns.get(SOURCE));
        String translated = record.get(columns.get(TARGET));
        String language = record.get(columns.get(LANGUAGE));
        if (source.isEmpty()) {
            throw new IllegalArgumentException("source is empty");
        }
        if (translated.isEmpty()) {
            throw new IllegalArgumentException("target is empty");
        }
        if (language.isEmpty()) {
            throw new IllegalArgumentException("language is empty");
        }
        if (source.length() > MAX_TERM_LENGTH || translated.length() > MAX_TERM_LENGTH) {
            throw new IllegalArgumentException("a term is longer than " + MAX_TERM_LENGTH + " characters");
        }
        boolean strict = columns.containsKey(STRICT) ? strict(record.get(columns.get(STRICT)), target.strictByDefault())
                : target.strictByDefault();
        return new GlossaryEntry(target.tenantId(), target.scope(), target.scopeId(), source, language, translated,
                strict, target.updatedAt());
    }

    private static boolean strict(String value, boolean byDefault) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "" -> byDefault;
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("strict must be true or false, found '" + value + "'");
        };
    }

    private static String decodeUtf8(byte[] file) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(file)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidFileException("the file is not UTF-8 (save it as \"CSV UTF-8\")");
        }
    }

    /** Maps a character position to its 1-based line; a line ends at LF, CR LF or a lone CR. */
    private static final class LineIndex {
        private final long[] starts;

        LineIndex(String text) {
            List<Long> found = new ArrayList<>();
            found.add(0L);
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\n' || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) {
                    found.add((long) i + 1);
                }
            }
            starts = found.stream().mapToLong(Long::longValue).toArray();
        }

        long lineAt(long position) {
            int index = Arrays.binarySearch(starts, position);
            return (index >= 0 ? index : -index - 2) + 1L;
        }
    }
}
