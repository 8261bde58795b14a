package io.tla.bench;

import java.util.Map;

/**
 * What one measured phase produced.
 *
 * @param messages     messages the phase sent
 * @param completed    messages whose output was seen committed
 * @param elapsedNanos from the phase's start to its last output (or to the timeout when incomplete)
 * @param startupNanos from the phase's start until the application was RUNNING (0 where not applicable)
 * @param firstOutputNanos from the phase's start until the first output was seen (-1 if none)
 * @param latencies    per-message latency samples
 * @param cpuCores     average cores this process kept busy
 * @param heapMaxMb    largest heap in use
 * @param kinds        reply counts by kind (empty for the passthrough)
 * @param duplicates   outputs seen twice for the same message (0 under exactly-once)
 */
record PhaseOutcome(int messages, int completed, long elapsedNanos, long startupNanos, long firstOutputNanos,
                    Latencies latencies,
                    double cpuCores, double heapMaxMb, Map<String, Long> kinds, long duplicates) {

    boolean complete() {
        return completed == messages;
    }

    double throughputPerS() {
        return elapsedNanos <= 0 ? 0 : completed / (elapsedNanos / 1e9);
    }

    /** Throughput once output flows: from the first output to the last, leaving start-up out. */
    double steadyPerS() {
        long span = elapsedNanos - firstOutputNanos;
        return firstOutputNanos < 0 || completed < 2 || span <= 0 ? 0 : (completed - 1) / (span / 1e9);
    }

    /** Seconds from the start to the first output; null when nothing came out. */
    Double firstOutputS() {
        return firstOutputNanos < 0 ? null : firstOutputNanos / 1e9;
    }

    double elapsedS() {
        return elapsedNanos / 1e9;
    }
}
