package io.tla.app.reliability;

import io.tla.broker.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded KRaft broker (one node, RF 1) behind {@link Brokers}, on fixed ports so it can be stopped and started
 * again on the same log directory. Killing it here is a close in this JVM, not a SIGKILL: it stands in for the
 * cluster while {@code ops/cluster/cluster.sh} is not in the tree.
 */
final class EmbeddedBrokers implements Brokers {

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private EmbeddedKafkaBroker broker;

    private EmbeddedBrokers(Path dir, int port, int controllerPort) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    static EmbeddedBrokers start(Path dir) {
        EmbeddedBrokers brokers = new EmbeddedBrokers(dir.resolve("kafka"), freePort(), freePort());
        brokers.startNode(1);
        return brokers;
    }

    @Override
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    @Override
    public short replicationFactor() {
        return 1;
    }

    @Override
    public int nodes() {
        return 1;
    }

    @Override
    public synchronized void kill(int n) {
        stopNode(n);
    }

    @Override
    public synchronized void startNode(int n) {
        if (broker == null) {
            broker = new EmbeddedKafkaBroker(dir, port, controllerPort).start();
        }
    }

    @Override
    public synchronized void stopNode(int n) {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    @Override
    public Map<Integer, Integer> leaders() {
        return Map.of(1, broker == null ? 0 : -1);
    }

    @Override
    public String describe() {
        return "embedded single broker (RF 1)";
    }

    @Override
    public void close() {
        stopNode(1);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
