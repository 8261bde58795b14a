package io.tla.connectors.ingress;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.Json;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parsing of an inbound activity: {@link Json#mapper()} (no duplicate keys, trailing data, comments,
 * NaN, invalid UTF-8 or nesting deeper than 64), then the contract's {@link ContractSchema#TEAMS_ACTIVITY}, checked
 * by its {@link CompiledSchema} and, for a body that fails it, by the general validator, which names the field.
 * Jackson's own messages can quote tokens of the body, so they are translated into fixed reasons here.
 */
public final class ActivityParser {

    private static final Pattern VIOLATION = Pattern.compile("^(\\$[^ ]*): (.*)$", Pattern.DOTALL);
    private static final Pattern REQUIRED = Pattern.compile("required property '([^']+)' not found");
    private static final Pattern PATH_PART = Pattern.compile("\\.([A-Za-z0-9_$-]+)|\\[(\\d+)]|\\['([^']*)']");
    /** The same schema as plain checks, so a valid activity costs microseconds; null if it cannot be compiled. */
    private static final CompiledSchema COMPILED = CompiledSchema.load(ContractSchema.TEAMS_ACTIVITY.name())
            .orElse(null);

    private ActivityParser() {
    }

    /** The activity as a JSON object that satisfies the contract's schema. */
    public static JsonNode parse(byte[] body) throws InvalidActivityException {
        JsonNode node = readStrict(body);
        if (!node.isObject()) {
            throw InvalidActivityException.invalidActivity("", "an activity must be a JSON object, found "
                    + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (COMPILED != null && COMPILED.valid(node)) {
            return node;
        }
        // refused (or no compiled check): the general validator says which field and why
        List<String> violations = ContractSchema.TEAMS_ACTIVITY.violations(node);
        if (!violations.isEmpty()) {
            throw violation(violations.get(0));
        }
        return node;
    }

    static JsonNode readStrict(byte[] body) throws InvalidActivityException {
        if (body.length == 0) {
            throw InvalidActivityException.invalidJson("empty body");
        }
        JsonNode node;
        try {
            node = Json.mapper().readTree(body);
        } catch (JsonProcessingException e) {
            throw InvalidActivityException.invalidJson(describe(e));
        } catch (IOException e) {
            throw InvalidActivityException.invalidJson("unreadable body");
        }
        if (node == null || node.isMissingNode()) {
            throw InvalidActivityException.invalidJson("empty body");
        }
        return node;
    }

    /** A fixed description of what is wrong, with the position, never the offending token. */
    static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        String what;
        if (e instanceof StreamConstraintsException) {
            what = message.contains("nesting depth")
                    ? "nesting deeper than " + Json.MAX_NESTING_DEPTH + " levels"
                    : "a value exceeds the parser's size limits";
        } else if (message.startsWith("Duplicate field")) {
            what = "duplicate key";
        } else if (message.contains("Trailing token")) {
            what = "trailing data after the JSON value";
        } else if (message.contains("comment")) {
            what = "comments are not allowed";
        } else if (message.contains("Non-standard token") || message.contains("NON_NUMERIC")) {
            what = "NaN and Infinity are not allowed";
        } else if (message.contains("UTF-8") || message.contains("UTF8") || message.contains("Invalid UTF")) {
            what = "invalid UTF-8";
        } else if (message.contains("CTRL-CHAR") || message.contains("control character")) {
            what = "unescaped control character in a string";
        } else if (message.contains("end-of-input")) {
            what = "truncated JSON";
        } else {
            what = "malformed JSON";
        }
        JsonLocation location = e.getLocation();
        return location == null || location.getLineNr() < 0
                ? what
                : what + " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Turns a schema message such as {@code $.conversation: required property 'id' not found} into a field. */
    static InvalidActivityException violation(String message) {
        Matcher m = VIOLATION.matcher(message);
        if (!m.matches()) {
            return InvalidActivityException.invalidActivity("", message);
        }
        String field = pointer(m.group(1));
        String reason = m.group(2);
        Matcher required = REQUIRED.matcher(reason);
        if (required.find()) {
            field = field + "/" + required.group(1);
            reason = "required";
        } else if (reason.contains("regex pattern") && field.equals("/text")) {
            reason = "contains control characters (only tab, CR and LF are allowed)";
        }
        return InvalidActivityException.invalidActivity(field, reason);
    }

    static String pointer(String jsonPath) {
        StringBuilder out = new StringBuilder();
        Matcher part = PATH_PART.matcher(jsonPath);
        int at = 1; // after "$"
        while (at < jsonPath.length() && part.find(at) && part.start() == at) {
            String name = part.group(1) != null ? part.group(1) : part.group(2) != null ? part.group(2) : part.group(3);
            out.append('/').append(name.replace("~", "~0").replace("/", "~1"));
            at = part.end();
        }
        return out.toString();
    }
}
