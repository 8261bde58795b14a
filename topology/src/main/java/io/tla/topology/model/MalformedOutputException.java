package io.tla.topology.model;

/** The answer did not hold one non-empty translation for each target language: asked for once more. */
final class MalformedOutputException extends RuntimeException {

    MalformedOutputException(String message) {
        super(message);
    }
}
