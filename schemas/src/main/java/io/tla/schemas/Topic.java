package io.tla.schemas;

import org.apache.kafka.common.serialization.Serde;

/** A topic with the serdes of its key and value: the only interface between the roles. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

    @Override
    public String toString() {
        return name;
    }
}
