package io.tla.platform.secrets;

/** Whether a secret can be used, and if not, why. */
public enum SecretStatus {
    OK("ok"),
    MISSING("missing"),
    DISABLED("disabled"),
    NOT_YET_VALID("not-yet-valid"),
    EXPIRED("expired"),
    /** The store could not answer (vault unreachable, access denied, unreadable file). */
    UNAVAILABLE("unavailable");

    private final String label;

    SecretStatus(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
