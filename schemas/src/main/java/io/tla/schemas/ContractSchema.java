package io.tla.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;

/**
 * A JSON Schema of the contract, loaded from this module's resources ({@code io/tla/schemas/*.schema.json}).
 * The ingress validates inbound activities with it; tests validate every event the pipeline emits.
 */
public final class ContractSchema {

    public static final ContractSchema TEAMS_ACTIVITY = load("teams-activity");
    public static final ContractSchema NORMALIZED_MESSAGE = load("normalized-message");
    public static final ContractSchema REPLY_EVENT = load("reply-event");
    public static final ContractSchema TELEMETRY_EVENT = load("telemetry-event");
    public static final ContractSchema LANGUAGE_PREFERENCE = load("language-preference");

    private final String name;
    private final JsonSchema schema;

    private ContractSchema(String name, JsonSchema schema) {
        this.name = name;
        this.schema = schema;
    }

    public static ContractSchema load(String name) {
        String resource = "/io/tla/schemas/" + name + ".schema.json";
        try (InputStream in = ContractSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema resource missing: " + resource);
            }
            JsonNode node = Json.mapper().readTree(in);
            return new ContractSchema(name, JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(node));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource, e);
        }
    }

    public String name() {
        return name;
    }

    /** The violations, each naming the offending field as a JSON path; empty when the document is valid. */
    public List<String> violations(JsonNode document) {
        return schema.validate(document).stream()
                .sorted(Comparator.comparing(ValidationMessage::getInstanceLocation, Comparator.comparing(Object::toString)))
                .map(ValidationMessage::getMessage)
                .toList();
    }

    /** Throws {@link IllegalArgumentException} listing the violations when the document is invalid. */
    public void requireValid(JsonNode document) {
        List<String> violations = violations(document);
        if (!violations.isEmpty()) {
            throw new IllegalArgumentException(name + " violates its schema: " + String.join("; ", violations));
        }
    }

    /** Convenience for events: serialise through {@link Json#mapper()} and validate. */
    public List<String> violationsOf(Object event) {
        return violations(Json.mapper().valueToTree(event));
    }
}
