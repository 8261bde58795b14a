package io.tla.connectors.graph;

import java.time.Duration;

/**
 * A Graph request that did not succeed, classified for the connector: retried (429, 503, 504, network), ambiguous
 * (504 and network errors: Graph may have created the message, so the marker is checked before another post),
 * an authentication failure (the connector pauses instead of dead-lettering everything), or final (dead-lettered).
 * The message names status, Graph's error code and request id, never a token or message text.
 */
public final class GraphFailure extends RuntimeException {

    /** What the connector does about the failure. */
    public enum Kind {
        /** 429, 503, 504, network: try again after Retry-After or a backoff. */
        RETRIABLE,
        /** 401 or no token: pause the connector, retry the batch; the credential is wrong for every reply. */
        AUTHENTICATION,
        /** Everything else (400, 403, 404, 413...): dead-letter the reply. */
        FINAL
    }

    private final Kind kind;
    private final int status;
    private final String code;
    private final String requestId;
    private final Duration retryAfter;
    private final String reason;

    public GraphFailure(Kind kind, int status, String code, String requestId, Duration retryAfter, String reason,
                        String message) {
        super(message);
        this.kind = kind;
        this.status = status;
        this.code = code;
        this.requestId = requestId;
        this.retryAfter = retryAfter;
        this.reason = reason;
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status, 0 when there was no response. */
    public int status() {
        return status;
    }

    /** Graph's error code ({@code error.code}), or null. */
    public String code() {
        return code;
    }

    /** Graph's {@code request-id}, or null. */
    public String requestId() {
        return requestId;
    }

    /** The server's Retry-After, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** Short machine-readable cause for {@code tla.error.reason} and {@code tla replay --error}. */
    public String reason() {
        return reason;
    }

    /** Whether Graph may have created the message although the request failed. */
    public boolean ambiguous() {
        return status == 0 || status == 504;
    }

    /** A copy that is no longer retried, e.g. when Retry-After exceeds the longest wait the connector accepts. */
    public GraphFailure asFinal(String why) {
        return new GraphFailure(Kind.FINAL, status, code, requestId, retryAfter, reason, getMessage() + "; " + why);
    }
}
