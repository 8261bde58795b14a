package io.tla.topology.language;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Character n-gram language models of the languages written in Latin or Cyrillic script: for each n-gram of one to
 * {@link #MAX_ORDER} letters (within a word, lower case), the log-probability of its last letter after the ones
 * before it, per language. One open-addressing table holds every n-gram once with the languages that know it, so
 * scoring a letter costs {@link #MAX_ORDER} lookups whatever the number of languages.
 *
 * <p>Log-probabilities are stored in steps of 1/{@link #STEPS_PER_NAT} nat in one byte, at most {@link #FLOOR}
 * below zero. The file ({@link #RESOURCE}) is written by the test-scope {@code NgramModelGenerator} from Lingua's
 * published models (see {@code NOTICE-ngram-model.txt} beside it).
 */
final class NgramModel {

    static final String RESOURCE = "/io/tla/topology/language/ngram-model.bin.gz";
    static final int MAX_ORDER = 4;
    /** The log-probability of a letter no model of the language has, and the lowest one stored. */
    static final float FLOOR = -14f;
    static final int STEPS_PER_NAT = 16;
    private static final int MAGIC = 0x544c4e47; // "TLNG"
    private static final int VERSION = 1;

    private final String[] tags;
    private final String[] scripts;
    /**
     * Slot {@code s} is {@code table[2s]}, the n-gram (0: empty), and {@code table[2s + 1]}, where its entries start
     * in {@link #entries} (high bits) and how many there are (low 8 bits): side by side, so a lookup that finds its
     * n-gram touches one cache line of the table and one of the entries.
     */
    private final long[] table;
    /** Per n-gram, its languages' (language index, quantised log-probability) byte pairs. */
    private final byte[] entries;
    private final int mask;

    private NgramModel(String[] tags, String[] scripts, long[] table, byte[] entries) {
        this.tags = tags;
        this.scripts = scripts;
        this.table = table;
        this.entries = entries;
        this.mask = table.length / 2 - 1;
    }

    /** The model shipped with the application. */
    static NgramModel load() {
        try (InputStream in = NgramModel.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("language model " + RESOURCE + " is missing from the classpath");
            }
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the language model " + RESOURCE, e);
        }
    }

    static NgramModel read(InputStream raw) throws IOException {
        // decompressed whole and parsed from the array: a stream read per field would dominate the load time
        ByteBuffer in = ByteBuffer.wrap(new GZIPInputStream(raw, 1 << 16).readAllBytes());
        try {
            if (in.getInt() != MAGIC || in.getInt() != VERSION) {
                throw new IOException("not a language model of version " + VERSION);
            }
            int languageCount = in.get() & 0xff;
            String[] tags = new String[languageCount];
            String[] scripts = new String[languageCount];
            for (int i = 0; i < languageCount; i++) {
                tags[i] = readUtf(in);
                scripts[i] = readUtf(in);
            }
            int ngramCount = in.getInt();
            int entryCount = in.getInt();
            // at most 2/3 full: linear probing stays short
            int capacity = Integer.highestOneBit(Math.max(16, ngramCount * 3 / 2)) << 1;
            long[] table = new long[capacity * 2];
            byte[] entries = new byte[entryCount * 2];
            int mask = capacity - 1;
            int next = 0;
            for (int i = 0; i < ngramCount; i++) {
                int length = in.get() & 0xff;
                long key = 0;
                for (int c = 0; c < length; c++) {
                    key = (key << 16) | in.getChar();
                }
                int count = in.get() & 0xff;
                if (next + count > entryCount) {
                    throw new IOException("language model holds more entries than its header says, " + entryCount);
                }
                int slot = slot(key, mask);
                while (table[2 * slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                table[2 * slot] = key;
                table[2 * slot + 1] = ((long) next << 8) | count;
                int languages = in.position();
                in.position(languages + count);
                for (int e = 0; e < count; e++) {
                    entries[2 * (next + e)] = in.get(languages + e);
                    entries[2 * (next + e) + 1] = in.get();
                }
                next += count;
            }
            if (next != entryCount || in.hasRemaining()) {
                throw new IOException("language model holds " + next + " entries, its header says " + entryCount);
            }
            return new NgramModel(tags, scripts, table, entries);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IOException("language model is truncated", e);
        }
    }

    private static String readUtf(ByteBuffer in) {
        int length = in.getShort() & 0xffff;
        String text = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return text;
    }

    /**
     * Writes a model: per n-gram (keys in any order, each 1 to {@link #MAX_ORDER} chars, none of them NUL), the
     * log-probability per language index into {@code tags}; values below {@link #FLOOR} are stored as the floor.
     */
    static void write(OutputStream raw, List<String> tags, List<String> scripts,
                      SortedMap<String, Map<Integer, Double>> logProbabilities) throws IOException {
        GZIPOutputStream gzip = new GZIPOutputStream(raw, 1 << 16);
        DataOutputStream out = new DataOutputStream(gzip);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeByte(tags.size());
        for (int i = 0; i < tags.size(); i++) {
            out.writeUTF(tags.get(i));
            out.writeUTF(scripts.get(i));
        }
        out.writeInt(logProbabilities.size());
        out.writeInt(logProbabilities.values().stream().mapToInt(Map::size).sum());
        for (Map.Entry<String, Map<Integer, Double>> ngram : logProbabilities.entrySet()) {
            String text = ngram.getKey();
            if (text.isEmpty() || text.length() > MAX_ORDER || text.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("not an n-gram of 1 to " + MAX_ORDER + " chars: " + text);
            }
            out.writeByte(text.length());
            out.writeChars(text);
            int[] languages = ngram.getValue().keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
            out.writeByte(languages.length);
            for (int language : languages) {
                out.writeByte(language);
            }
            for (int language : languages) {
                out.writeByte(quantise(ngram.getValue().get(language)));
            }
        }
        out.flush();
        gzip.finish();
    }

    static int quantise(double logProbability) {
        return (int) Math.min(255, Math.round(-Math.max(FLOOR, Math.min(0.0, logProbability)) * STEPS_PER_NAT));
    }

    int languageCount() {
        return tags.length;
    }

    String tag(int language) {
        return tags[language];
    }

    String script(int language) {
        return scripts[language];
    }

    int ngramCount() {
        int count = 0;
        for (int slot = 0; slot <= mask; slot++) {
            count += table[2 * slot] == 0 ? 0 : 1;
        }
        return count;
    }

    /**
     * The slot of an n-gram packed as its chars, 16 bits each, the last char lowest ({@code (key << 16) | c}
     * extends it by one char), or -1 when no language has it.
     */
    int find(long key) {
        int slot = slot(key, mask);
        long found;
        while ((found = table[2 * slot]) != 0) {
            if (found == key) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /** Sets {@code scores[language] = log-probability + offset} for each language the n-gram in {@code slot} has. */
    void apply(int slot, float offset, float[] scores) {
        long position = table[2 * slot + 1];
        int start = (int) (position >>> 8) * 2;
        int end = start + (int) (position & 0xff) * 2;
        for (int i = start; i < end; i += 2) {
            scores[entries[i]] = offset - (entries[i + 1] & 0xff) * (1f / STEPS_PER_NAT);
        }
    }

    /** The approximate bytes the tables take on the heap. */
    long sizeInBytes() {
        return table.length * 8L + entries.length;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    @Override
    public String toString() {
        return "NgramModel" + Arrays.toString(tags);
    }
}
