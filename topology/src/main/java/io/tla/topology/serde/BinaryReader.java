package io.tla.topology.serde;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads what {@link BinaryWriter} wrote, in the same order. Truncated or malformed input ends in a
 * {@link SerializationException} that names the problem, never the bytes (they may hold message text).
 */
public final class BinaryReader {

    private final byte[] data;
    private int position;

    public BinaryReader(byte[] data, int offset) {
        this.data = data;
        this.position = offset;
    }

    public int readByte() {
        if (position >= data.length) {
            throw truncated();
        }
        return data[position++] & 0xFF;
    }

    public boolean readBoolean() {
        return readByte() != 0;
    }

    public long readVarLong() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int next = readByte();
            value |= (long) (next & 0x7F) << shift;
            if ((next & 0x80) == 0) {
                return value;
            }
        }
        throw new SerializationException("malformed variable-length number");
    }

    public int readVarInt() {
        long value = readVarLong();
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new SerializationException("number out of range: " + value);
        }
        return (int) value;
    }

    public long readSignedVarLong() {
        long raw = readVarLong();
        return (raw >>> 1) ^ -(raw & 1);
    }

    public String readString() {
        int length = length();
        if (length < 0) {
            return null;
        }
        String value = new String(data, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }

    /** The list as written; null when null was written. */
    public List<String> readStrings() {
        int count = count();
        if (count < 0) {
            return null;
        }
        List<String> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            values.add(readString());
        }
        return values;
    }

    public Instant readInstant() {
        if (readByte() == 0) {
            return null;
        }
        long seconds = readSignedVarLong();
        return Instant.ofEpochSecond(seconds, readVarInt());
    }

    public BigDecimal readDecimal() {
        if (readByte() == 0) {
            return null;
        }
        int scale = Math.toIntExact(readSignedVarLong());
        if (readByte() == 0) {
            return BigDecimal.valueOf(readSignedVarLong(), scale);
        }
        int length = readVarInt();
        require(length);
        byte[] digits = new byte[length];
        System.arraycopy(data, position, digits, 0, length);
        position += length;
        return new BigDecimal(new BigInteger(digits), scale);
    }

    /** The element count of a list written with a count plus one (0: null, returned as -1). */
    public int count() {
        return length();
    }

    /** True when every byte was read: a value followed by anything else is not a value this reader knows. */
    public boolean atEnd() {
        return position == data.length;
    }

    private int length() {
        int lengthPlusOne = readVarInt();
        if (lengthPlusOne == 0) {
            return -1;
        }
        require(lengthPlusOne - 1);
        return lengthPlusOne - 1;
    }

    private void require(int bytes) {
        if (bytes > data.length - position) {
            throw truncated();
        }
    }

    private static SerializationException truncated() {
        return new SerializationException("value ends before its last field");
    }
}
