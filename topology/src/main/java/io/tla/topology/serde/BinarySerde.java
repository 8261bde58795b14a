package io.tla.topology.serde;

import io.tla.schemas.Json;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A store or internal-topic value in a compact binary form: a format byte ({@link #FORMAT}), then the fields as
 * {@link BinaryWriter} writes them. Values written as JSON by earlier releases (they start with {@code '{'}, which
 * is never a format byte) are still read, through Jackson, so stores and the repartition topic carry over an
 * upgrade; every value written from then on is binary.
 */
public final class BinarySerde<T> implements Serde<T> {

    /** The format byte of the current layout; a later layout takes the next number and keeps reading this one. */
    public static final byte FORMAT = 1;

    /** Writes a value's fields (the format byte is already written). */
    @FunctionalInterface
    public interface Encoder<T> {
        void write(BinaryWriter out, T value);
    }

    /** Reads the fields back in the order the encoder wrote them. */
    @FunctionalInterface
    public interface Decoder<T> {
        T read(BinaryReader in);
    }

    private final Class<T> type;
    private final int sizeHint;
    private final Encoder<T> encoder;
    private final Decoder<T> decoder;

    /**
     * @param type     the value type, also what an earlier release's JSON is read as
     * @param sizeHint the usual encoded size, so most values are written without growing the buffer
     */
    public BinarySerde(Class<T> type, int sizeHint, Encoder<T> encoder, Decoder<T> decoder) {
        this.type = type;
        this.sizeHint = sizeHint;
        this.encoder = encoder;
        this.decoder = decoder;
    }

    public byte[] encode(T value) {
        if (value == null) {
            return null;
        }
        BinaryWriter out = new BinaryWriter(sizeHint);
        out.writeByte(FORMAT);
        encoder.write(out, value);
        return out.toByteArray();
    }

    public T decode(byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length > 0 && data[0] == '{') {
            return fromJson(data);
        }
        if (data.length == 0 || data[0] != FORMAT) {
            throw new SerializationException("not a stored " + type.getSimpleName() + " (format byte "
                    + (data.length == 0 ? "missing" : Integer.toString(data[0] & 0xFF)) + ")");
        }
        BinaryReader in = new BinaryReader(data, 1);
        T value;
        try {
            value = decoder.read(in);
        } catch (SerializationException e) {
            throw new SerializationException("not a valid stored " + type.getSimpleName() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // a constructor refused a field (a required id missing): its message names the field, not the data
            throw new SerializationException("not a valid stored " + type.getSimpleName() + ": "
                    + e.getClass().getSimpleName());
        }
        if (!in.atEnd()) {
            throw new SerializationException("not a valid stored " + type.getSimpleName() + ": bytes after its last field");
        }
        return value;
    }

    private T fromJson(byte[] data) {
        try {
            return Json.mapper().readValue(data, type);
        } catch (IOException | RuntimeException e) {
            // Jackson's messages can quote the input: name the type only
            throw new SerializationException("not a valid " + type.getSimpleName() + " in JSON ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    public Class<T> type() {
        return type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> decode(data);
    }
}
