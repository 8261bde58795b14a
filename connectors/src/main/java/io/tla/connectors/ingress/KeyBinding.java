package io.tla.connectors.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a verified signing key speaks for: one tenant and, for a registration bound to a team, that team. Identity
 * comes from the key, never from the body: a body naming another tenant or team is refused, and an accepted message
 * carries the binding's tenant and team. {@code tenantId} is null only for the default key in development mode
 * (no {@code webhook.tenant-id}), where the body's tenant is taken.
 *
 * <p>A team binding is a thread id ({@code 19:...@thread.*}) or an AAD group id; {@code teamAadGroupId} (the
 * registration's {@code team-aad-group-id}) adds the group id of the same team. A body may name its team by thread
 * id ({@code channelData.team.id}, {@code channelData.teamsTeamId}) and by group id ({@code
 * channelData.team.aadGroupId}): every id it names in a form the binding knows must match, and at least one must
 * when it names any. A chat has no team, so a team-bound key never speaks for one.
 *
 * @param keySet the key set's name: the registration, or {@link WebhookKeys#DEFAULT_SET}
 */
record KeyBinding(String keySet, String tenantId, String teamId, String teamAadGroupId) {

    static final String TENANT_MISMATCH = "tenant-mismatch";
    static final String TEAM_MISMATCH = "team-mismatch";

    static KeyBinding of(Registration registration) {
        return new KeyBinding(registration.name(), registration.tenantId(), registration.teamId(),
                registration.teamAadGroupId());
    }

    static KeyBinding ofDefaultKey(WebhookConfig webhook) {
        return new KeyBinding(WebhookKeys.DEFAULT_SET, webhook.tenantId(), null, null);
    }

    boolean developmentMode() {
        return tenantId == null;
    }

    /** {@code tenant-mismatch}, {@code team-mismatch}, or empty when the body speaks for this binding. */
    Optional<String> refusal(JsonNode activity) {
        String claimedTenant = ActivityNormalizer.tenantId(activity, ActivityNormalizer.Defaults.NONE).orElse(null);
        if (tenantId != null && claimedTenant != null && !same(claimedTenant, tenantId)) {
            return Optional.of(TENANT_MISMATCH);
        }
        if (teamId == null) {
            return Optional.empty();
        }
        if (ActivityNormalizer.conversationType(activity) != ConversationType.CHANNEL) {
            return Optional.of(TEAM_MISMATCH);
        }
        List<String> threadIds = new ArrayList<>();
        List<String> groupIds = new ArrayList<>();
        JsonNode channelData = activity.path("channelData");
        for (String id : new String[] {ActivityNormalizer.text(channelData, "team", "id"),
                ActivityNormalizer.text(channelData, "teamsTeamId")}) {
            if (id != null) {
                (isThreadId(id) ? threadIds : groupIds).add(id);
            }
        }
        String groupId = ActivityNormalizer.text(channelData, "team", "aadGroupId");
        if (groupId != null) {
            groupIds.add(groupId);
        }
        String knownThread = isThreadId(teamId) ? teamId : null;
        String knownGroup = isThreadId(teamId) ? teamAadGroupId : teamId;
        int matched = 0;
        for (String id : threadIds) {
            if (knownThread != null) {
                if (!same(id, knownThread)) {
                    return Optional.of(TEAM_MISMATCH);
                }
                matched++;
            }
        }
        for (String id : groupIds) {
            if (knownGroup != null) {
                if (!same(id, knownGroup)) {
                    return Optional.of(TEAM_MISMATCH);
                }
                matched++;
            }
        }
        // naming a team only in a form this binding cannot check is not speaking for the bound team
        boolean namesTeam = !threadIds.isEmpty() || !groupIds.isEmpty();
        return namesTeam && matched == 0 ? Optional.of(TEAM_MISMATCH) : Optional.empty();
    }

    /** What the normaliser takes from the binding when the body carries none. */
    ActivityNormalizer.Defaults defaults() {
        String group = teamId != null && !isThreadId(teamId) ? teamId : teamAadGroupId;
        return new ActivityNormalizer.Defaults(tenantId, group);
    }

    /** The message with the binding's tenant and team in place of whatever the body said. */
    NormalizedMessage apply(NormalizedMessage message) {
        if (developmentMode()) {
            return message;
        }
        String thread = message.teamId();
        String group = message.teamAadGroupId();
        if (teamId != null) {
            thread = isThreadId(teamId) ? teamId : thread;
            group = isThreadId(teamId) ? (teamAadGroupId != null ? teamAadGroupId : group) : teamId;
        }
        return message.withIdentity(tenantId, thread, group);
    }

    static boolean isThreadId(String id) {
        return id.startsWith("19:");
    }

    /** Tenant and group ids are GUIDs, which Teams may send in either case. */
    private static boolean same(String a, String b) {
        return a.strip().toLowerCase(Locale.ROOT).equals(b.strip().toLowerCase(Locale.ROOT));
    }
}
