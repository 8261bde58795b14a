package io.tla.app.reliability;

import java.nio.file.Path;
import java.util.Map;

/**
 * The Kafka the scenarios run against: the three-broker KRaft cluster of {@code ops/cluster/cluster.sh}
 * ({@link LocalCluster}) or the embedded single broker ({@link EmbeddedBrokers}), behind one small interface so a
 * scenario switches between them by one line.
 */
interface Brokers extends AutoCloseable {

    /** Bootstrap servers for the clients and the tla processes. */
    String bootstrap();

    /** The replication factor topics get here (3 on the cluster, 1 on the single broker). */
    short replicationFactor();

    /** Number of brokers, numbered from 1. */
    int nodes();

    /** SIGKILL of broker {@code n}. */
    void kill(int n);

    /** Starts broker {@code n} again (after {@link #kill} or {@link #stopNode}). */
    void startNode(int n);

    /** Clean stop (SIGTERM) of broker {@code n}. */
    void stopNode(int n);

    /** Partitions each broker leads, by broker number. */
    Map<Integer, Integer> leaders();

    /** The broker leading most partitions. */
    default int busiestNode() {
        return leaders().entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(1);
    }

    /** Which Kafka this is, for the reports. */
    String describe();

    /** Stops every broker and removes their data. */
    @Override
    void close();

    /**
     * The cluster when its script is in the tree, else the embedded broker; {@code -Dtla.reliability.brokers=embedded}
     * or {@code =cluster} forces one.
     */
    static Brokers best(Path dir) {
        String choice = System.getProperty("tla.reliability.brokers", "auto");
        boolean cluster = "cluster".equals(choice) || "auto".equals(choice) && LocalCluster.available();
        return cluster ? LocalCluster.start(dir) : EmbeddedBrokers.start(dir);
    }

    default boolean isCluster() {
        return nodes() > 1;
    }
}
