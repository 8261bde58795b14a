package io.tla.schemas;

/** The author of a Teams message: channel-scoped user id, display name and Azure AD object id (may be null). */
public record Sender(String id, String name, String aadObjectId) {
}
