package io.tla.connectors.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.schemas.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;

/**
 * The realistic Teams payloads under {@code src/test/resources/activities/}, and keys to sign them with. {@link #json}
 * stamps each with {@link #SIGNED_AT}, the instant the ingress tests' clocks stand at, so their signed timestamps are
 * fresh.
 */
final class Fixtures {

    static final Instant SIGNED_AT = Instant.parse("2024-03-04T09:15:03Z");

    static final String CHANNEL_MENTION = "channel-mention.json";
    static final String GROUP_CHAT = "group-chat.json";
    static final String PERSONAL_CHAT = "personal-chat.json";

    private Fixtures() {
    }

    /** A fresh webhook signing key: 32 random bytes, base64 as Teams shows it. */
    static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    static String text(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/activities/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode json(String name) {
        return json(name, SIGNED_AT);
    }

    /** The fixture as Teams would send it at {@code timestamp}. */
    static ObjectNode json(String name, Instant timestamp) {
        try {
            ObjectNode activity = (ObjectNode) Json.mapper().readTree(text(name));
            activity.put("timestamp", timestamp.toString());
            return activity;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Object node) {
        try {
            return Json.mapper().writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
