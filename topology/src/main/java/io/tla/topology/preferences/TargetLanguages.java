package io.tla.topology.preferences;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The languages a reply is translated into: the tenant's first, then the channel's, then the people's (the
 * sender's, then those of the people who wrote the conversation's recent turns, newest first), each once. Channels
 * and people add languages while there are fewer than {@link #MAX} (later ones are left out: a reply stays readable
 * and its cost bounded); the tenant's are always all there. The counts say how many each source added, for the
 * telemetry fact {@code languages.resolved}.
 */
public record TargetLanguages(List<String> languages, int fromTenant, int fromChannel, int fromUsers, int dropped) {

    /** Most target languages of one reply. */
    public static final int MAX = 16;

    public TargetLanguages {
        languages = List.copyOf(languages);
    }

    public static TargetLanguages union(List<String> tenant, List<String> channel, List<List<String>> people) {
        List<String> union = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int[] added = new int[3];
        int dropped = 0;
        List<List<String>> sources = List.of(tenant, channel, people.stream().flatMap(List::stream).toList());
        for (int source = 0; source < sources.size(); source++) {
            for (String language : sources.get(source)) {
                if (!seen.add(sameness(language))) {
                    continue;
                }
                if (source > 0 && union.size() >= MAX) {
                    dropped++;
                } else {
                    union.add(language);
                    added[source]++;
                }
            }
        }
        return new TargetLanguages(union, added[0], added[1], added[2], dropped);
    }

    /** Whether these are just the tenant's languages: no channel or person added any, none was left out. */
    public boolean tenantOnly() {
        return fromChannel == 0 && fromUsers == 0 && dropped == 0;
    }

    /** The attributes of {@code languages.resolved}. */
    public Map<String, Object> fact() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("tenant", fromTenant);
        attributes.put("channel", fromChannel);
        attributes.put("user", fromUsers);
        attributes.put("total", languages.size());
        attributes.put("dropped", dropped);
        return attributes;
    }

    // pt-br configured for the tenant and pt-BR chosen by a person are one language: canonical tags differ in case only
    private static String sameness(String language) {
        return language.replace('_', '-').toLowerCase(Locale.ROOT);
    }
}
