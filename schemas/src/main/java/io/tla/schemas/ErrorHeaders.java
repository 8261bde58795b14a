package io.tla.schemas;

/**
 * Header names on dead-letter records ({@code teams.messages.dlq.v1}, {@code teams.replies.dlq.v1}).
 * The record's key and value are the original bytes, so replay can re-publish them unchanged.
 */
public final class ErrorHeaders {
    public static final String PREFIX = "tla.error.";
    /** Fully qualified class of the exception. */
    public static final String CLASS = PREFIX + "class";
    /** The exception message (never contains secrets; message text is not echoed). */
    public static final String MESSAGE = PREFIX + "message";
    /** The processor or connector stage that failed, e.g. {@code budget-guard}. */
    public static final String STAGE = PREFIX + "stage";
    public static final String TOPIC = PREFIX + "topic";
    public static final String PARTITION = PREFIX + "partition";
    public static final String OFFSET = PREFIX + "offset";
    /**
     * A short machine-readable cause where there is one: a model failure's last reason ({@code http-503},
     * {@code timeout}, {@code breaker-open}, {@code secret-expired}...), for replay's {@code --error}.
     */
    public static final String REASON = PREFIX + "reason";
    /** ISO-8601 UTC time the failure was recorded. */
    public static final String AT = PREFIX + "at";
    /** Reply connector: HTTP status of the last failed request, decimal text ({@code 0}: no response). */
    public static final String STATUS = PREFIX + "status";
    /** Reply connector: the service's own error code, e.g. Graph's {@code Forbidden} or {@code TooManyRequests}. */
    public static final String CODE = PREFIX + "code";
    /** Reply connector: the service's request id of the last failed request, for its support. */
    public static final String REQUEST_ID = PREFIX + "request-id";
    /** Reply connector: requests made for this record before it was dead-lettered, decimal text. */
    public static final String ATTEMPTS = PREFIX + "attempts";
    /** Reply connector: ISO-8601 UTC time of the record's first failed request. */
    public static final String FIRST_FAILURE_AT = PREFIX + "first-failure-at";

    /** On a record re-published by {@code tla replay}: the attempt number, 1 for the first replay (decimal text). */
    public static final String REPLAY_ATTEMPT = "tla.replay.attempt";
    /** On a record re-published by {@code tla replay}: {@code topic/partition/offset} of its dead-letter record. */
    public static final String REPLAY_OF = "tla.replay.of";

    private ErrorHeaders() {
    }
}
