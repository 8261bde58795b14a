package io.tla.topology.model;

import java.util.concurrent.Semaphore;

/**
 * How many model calls may be in flight at once in this instance, shared by every task's model stage. A permit
 * is taken when a call is dispatched and given back when the call completes (on the provider's thread), so
 * capacity frees up even while the stream thread is busy elsewhere.
 */
public final class InFlightLimit {

    private final int max;
    private final Semaphore permits;

    public InFlightLimit(int max) {
        this.max = max;
        this.permits = new Semaphore(max);
    }

    boolean tryAcquire() {
        return permits.tryAcquire();
    }

    void release() {
        permits.release();
    }

    public int max() {
        return max;
    }

    public int inFlight() {
        return max - permits.availablePermits();
    }
}
