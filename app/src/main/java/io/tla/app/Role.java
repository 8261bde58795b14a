package io.tla.app;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The parts one process can run. Roles share nothing but topics, so any subset can run anywhere. */
public enum Role {
    INGRESS, TOPOLOGY, REPLIES, DASHBOARD;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code ingress,topology,...}; rejects unknown names with the list of valid ones. */
    public static Set<Role> parse(String list) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String part : list.split(",")) {
            String name = part.trim();
            if (name.isEmpty()) {
                continue;
            }
            try {
                roles.add(valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown role '" + name + "'; roles are ingress, topology, replies, dashboard");
            }
        }
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("no role given; roles are ingress, topology, replies, dashboard");
        }
        return roles;
    }
}
