package io.tla.topology.model;

import io.tla.topology.tone.ToneTemplate;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * A dispatched request's outcome, as the {@link ModelDispatcher} reports it: the provider's (or the cache's)
 * response, or the error; neither when the message was already in the only target language.
 *
 * @param conversation   the conversation of the request ({@link PendingQueue#conversationOf})
 * @param key            the request's key in the pending queue
 * @param sourceLanguage the detected language (null for a cache hit, whose response carries it)
 * @param nanos          from dispatch to completion
 * @param attempt        1, or 2 for the second try after a malformed answer
 * @param chunks         how many calls the text was split into (0 for a cache hit)
 * @param cacheKey       the translation cache key the answer is kept under
 * @param toneTemplate   whose tone template the request was sent with (channel, tenant or none)
 */
record ModelCompletion(String conversation, String key, String sourceLanguage, ModelResponse response,
                       Throwable error, long nanos, int attempt, int chunks, boolean cached, String cacheKey,
                       ToneTemplate.Scope toneTemplate) {

    ModelCompletion {
        toneTemplate = toneTemplate == null ? ToneTemplate.Scope.NONE : toneTemplate;
    }

    /** A completion of a request sent without a tone template. */
    ModelCompletion(String conversation, String key, String sourceLanguage, ModelResponse response, Throwable error,
                    long nanos, int attempt, int chunks, boolean cached, String cacheKey) {
        this(conversation, key, sourceLanguage, response, error, nanos, attempt, chunks, cached, cacheKey,
                ToneTemplate.Scope.NONE);
    }

    /** Nothing to translate: the message is already in the only target language. */
    boolean skipped() {
        return response == null && error == null;
    }

    /** The error without the future's wrapper. */
    Throwable cause() {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    boolean malformed() {
        return cause() instanceof MalformedOutputException;
    }

    /** A failure's reason for telemetry and the dead-letter header: the provider's own where it gives one. */
    String reason() {
        Throwable cause = cause();
        if (cause instanceof AllProvidersFailedException failed) {
            return "all-providers-failed:" + failed.reason();
        }
        if (cause instanceof ProviderException failed) {
            return failed.reason();
        }
        if (cause instanceof TimeoutException) {
            return "timeout";
        }
        if (cause instanceof MalformedOutputException) {
            return "malformed-output";
        }
        return cause == null ? "error" : cause.getClass().getSimpleName();
    }
}
