package io.tla.connectors.teams;

import io.tla.schemas.NormalizedMessage;

/**
 * What the ingress tells the team directory about each accepted message: a channel message that names both the
 * team's thread id and its AAD group id (from the activity, or from the webhook registration's
 * {@code team-aad-group-id}) teaches the directory that mapping, so replies need no lookup.
 */
@FunctionalInterface
public interface TeamSightings {

    /** Learns nothing. */
    TeamSightings NONE = (message, registrationTeamAadGroupId) -> { };

    /**
     * @param registrationTeamAadGroupId the {@code team-aad-group-id} of the registration the request was signed
     *                                   for, null without one
     */
    void seen(NormalizedMessage message, String registrationTeamAadGroupId);
}
