package io.tla.topology.serde;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Appends values to a growing byte array, in the compact form {@link BinaryReader} reads back: variable-length
 * integers, UTF-8 strings with their length, instants as seconds and nanoseconds. Nullable values carry their
 * absence in the length or a presence byte, so a null never turns into an empty string on the way back.
 */
public final class BinaryWriter {

    private byte[] buffer;
    private int position;

    public BinaryWriter(int initialCapacity) {
        buffer = new byte[Math.max(16, initialCapacity)];
    }

    public BinaryWriter writeByte(int value) {
        ensure(1);
        buffer[position++] = (byte) value;
        return this;
    }

    public BinaryWriter writeBoolean(boolean value) {
        return writeByte(value ? 1 : 0);
    }

    /** A non-negative number in 1 to 10 bytes (7 bits a byte); negative numbers take 10. */
    public BinaryWriter writeVarLong(long value) {
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            buffer[position++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buffer[position++] = (byte) value;
        return this;
    }

    /** Any number, small magnitudes short whatever their sign (zig-zag). */
    public BinaryWriter writeSignedVarLong(long value) {
        return writeVarLong((value << 1) ^ (value >> 63));
    }

    /** Null as 0, otherwise the UTF-8 length plus one, then the bytes. */
    public BinaryWriter writeString(String value) {
        if (value == null) {
            return writeVarLong(0);
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        writeVarLong(bytes.length + 1L);
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, position, bytes.length);
        position += bytes.length;
        return this;
    }

    /** Null as 0, otherwise the count plus one, then each string. */
    public BinaryWriter writeStrings(List<String> values) {
        if (values == null) {
            return writeVarLong(0);
        }
        writeVarLong(values.size() + 1L);
        for (String value : values) {
            writeString(value);
        }
        return this;
    }

    /** Exact to the nanosecond: a presence byte, the epoch second, the nanosecond of that second. */
    public BinaryWriter writeInstant(Instant value) {
        if (value == null) {
            return writeByte(0);
        }
        writeByte(1);
        writeSignedVarLong(value.getEpochSecond());
        return writeVarLong(value.getNano());
    }

    /** Exact (scale and unscaled digits), so spend read back compares equal to spend written. */
    public BinaryWriter writeDecimal(BigDecimal value) {
        if (value == null) {
            return writeByte(0);
        }
        writeByte(1);
        writeSignedVarLong(value.scale());
        if (value.unscaledValue().bitLength() < 63) {
            writeByte(0);
            return writeSignedVarLong(value.unscaledValue().longValueExact());
        }
        writeByte(1);
        byte[] digits = value.unscaledValue().toByteArray();
        writeVarLong(digits.length);
        ensure(digits.length);
        System.arraycopy(digits, 0, buffer, position, digits.length);
        position += digits.length;
        return this;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, position);
    }

    private void ensure(int more) {
        if (position + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, position + more));
        }
    }
}
