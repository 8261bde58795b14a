package io.tla.connectors.ingress;

/**
 * A request body the ingress refuses with 400. {@code field} is a JSON pointer ({@code /conversation/id}) or null
 * when the body is not JSON at all; {@code reason} never quotes the body or the message text.
 */
public final class InvalidActivityException extends Exception {

    private final String error;
    private final String field;
    private final String reason;

    public InvalidActivityException(String error, String field, String reason) {
        super(error + (field == null ? "" : " " + field) + ": " + reason, null, false, false);
        this.error = error;
        this.field = field;
        this.reason = reason;
    }

    static InvalidActivityException invalidJson(String reason) {
        return new InvalidActivityException("invalid JSON", null, reason);
    }

    static InvalidActivityException invalidActivity(String field, String reason) {
        return new InvalidActivityException("invalid activity", field, reason);
    }

    /** {@code invalid JSON} or {@code invalid activity}. */
    public String error() {
        return error;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
