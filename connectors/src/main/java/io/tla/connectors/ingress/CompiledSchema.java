package io.tla.connectors.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON Schema compiled into plain checks, for the ingress's per-request validation: it answers only "valid or
 * not", which is all an accepted activity needs, in a few microseconds instead of the general validator's tens.
 * It is compiled from the very same schema resource as {@link ContractSchema} and understands the subset that
 * schema uses ({@code type} of string, null, object, array and boolean, {@code const}, {@code required},
 * {@code properties}, {@code items}, {@code minLength}, {@code maxLength} in code points, {@code pattern} found with
 * {@code java.util.regex} as the general validator does, and annotations); a schema using anything else does not
 * compile, and the caller then validates with the general validator alone. Which field is wrong, and why, is still
 * the general validator's answer: the caller asks it whenever this check says no.
 */
final class CompiledSchema {

    /** Keywords that only describe, and never change validity. */
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "title", "description", "$comment",
            "examples", "default");

    private enum Type { STRING, NULL, OBJECT, ARRAY, BOOLEAN }

    /** {@code ^[^...]*$} whose class is only characters and ranges written as four-digit unicode escapes. */
    private static final Pattern EXCLUDED_CLASS =
            Pattern.compile("\\^\\[\\^((?:\\\\u[0-9A-Fa-f]{4}(?:-\\\\u[0-9A-Fa-f]{4})?)+)]\\*\\$");
    private static final Pattern CLASS_RANGE = Pattern.compile("\\\\u([0-9A-Fa-f]{4})(?:-\\\\u([0-9A-Fa-f]{4}))?");

    private final Node root;

    private CompiledSchema(Node root) {
        this.root = root;
    }

    /** The schema of that contract resource ({@code io/tla/schemas/NAME.schema.json}), when it uses the subset. */
    static Optional<CompiledSchema> load(String name) {
        String resource = "/io/tla/schemas/" + name + ".schema.json";
        try (InputStream in = ContractSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            return compile(Json.mapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource, e);
        }
    }

    /** The compiled schema, or empty when it uses a keyword outside the subset. */
    static Optional<CompiledSchema> compile(JsonNode schema) {
        try {
            return Optional.of(new CompiledSchema(node(schema)));
        } catch (UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Whether the document satisfies the schema. */
    boolean valid(JsonNode document) {
        return root.valid(document);
    }

    private record Property(String name, Node schema) {
    }

    /** One (sub)schema; every field but {@code types} is optional (null or -1 when absent). */
    private record Node(EnumSet<Type> types, JsonNode constant, String[] required, Property[] properties, Node items,
                        int minLength, int maxLength, Predicate<String> pattern) {

        boolean valid(JsonNode value) {
            if (types != null && !types.contains(typeOf(value))) {
                return false;
            }
            if (constant != null && !constant.equals(value)) {
                return false;
            }
            if (value.isTextual()) {
                return validString(value.textValue());
            }
            if (value.isObject()) {
                return validObject(value);
            }
            if (value.isArray() && items != null) {
                for (JsonNode item : value) {
                    if (!items.valid(item)) {
                        return false;
                    }
                }
            }
            return true;
        }

        private boolean validString(String s) {
            if (minLength > 0 || maxLength >= 0) {
                // lengths count code points, of which a string of n UTF-16 units has between (n + 1) / 2 and n:
                // count them only when the units alone do not decide
                int units = s.length();
                boolean decided = (maxLength < 0 || units <= maxLength) && (units + 1) / 2 >= minLength;
                if (!decided) {
                    int length = s.codePointCount(0, units);
                    if (length < minLength || maxLength >= 0 && length > maxLength) {
                        return false;
                    }
                }
            }
            return pattern == null || pattern.test(s);
        }

        private boolean validObject(JsonNode value) {
            if (required != null) {
                for (String name : required) {
                    if (!value.has(name)) {
                        return false;
                    }
                }
            }
            if (properties != null) {
                for (Property property : properties) {
                    JsonNode member = value.get(property.name());
                    if (member != null && !property.schema().valid(member)) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    private static Type typeOf(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> Type.STRING;
            case NULL -> Type.NULL;
            case OBJECT -> Type.OBJECT;
            case ARRAY -> Type.ARRAY;
            case BOOLEAN -> Type.BOOLEAN;
            default -> null; // numbers and the rest: no type of the subset, so never valid where a type is given
        };
    }

    private static Node node(JsonNode schema) {
        if (!schema.isObject()) {
            throw new UnsupportedOperationException("boolean schema");
        }
        EnumSet<Type> types = null;
        JsonNode constant = null;
        String[] required = null;
        Property[] properties = null;
        Node items = null;
        int minLength = -1;
        int maxLength = -1;
        Predicate<String> pattern = null;
        Iterator<Map.Entry<String, JsonNode>> fields = schema.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            switch (field.getKey()) {
                case "type" -> types = types(value);
                case "const" -> constant = value;
                case "required" -> required = strings(value);
                case "properties" -> {
                    List<Property> list = new ArrayList<>();
                    value.fields().forEachRemaining(p -> list.add(new Property(p.getKey(), node(p.getValue()))));
                    properties = list.toArray(Property[]::new);
                }
                case "items" -> items = node(value);
                case "minLength" -> minLength = length(value);
                case "maxLength" -> maxLength = length(value);
                case "pattern" -> pattern = pattern(text(value));
                default -> {
                    if (!ANNOTATIONS.contains(field.getKey())) {
                        throw new UnsupportedOperationException(field.getKey());
                    }
                }
            }
        }
        return new Node(types, constant, required, properties, items, minLength, maxLength, pattern);
    }

    /**
     * A {@code pattern} as the general validator applies it ({@code find()} of {@code java.util.regex}), except the
     * shape {@code ^[^...]*$} with a class of characters and ranges written as unicode escapes: that one matches the
     * strings without a character of the class (none of which may be a line terminator, which {@code $} could
     * match before, or a surrogate), and is checked as such, since the regular expression costs tens of
     * nanoseconds a character.
     */
    static Predicate<String> pattern(String regex) {
        Matcher shape = EXCLUDED_CLASS.matcher(regex);
        if (shape.matches()) {
            long[] excluded = new long[1024]; // one bit per UTF-16 unit
            Matcher range = CLASS_RANGE.matcher(shape.group(1));
            int end = 0;
            boolean plain = true;
            while (plain && range.find() && range.start() == end) {
                int lo = Integer.parseInt(range.group(1), 16);
                int hi = range.group(2) == null ? lo : Integer.parseInt(range.group(2), 16);
                plain = lo <= hi && !containsLineTerminator(lo, hi)
                        && (hi < Character.MIN_SURROGATE || lo > Character.MAX_SURROGATE);
                for (int c = lo; plain && c <= hi; c++) {
                    excluded[c >>> 6] |= 1L << c;
                }
                end = range.end();
            }
            if (plain && end == shape.group(1).length()) {
                return s -> {
                    for (int i = 0; i < s.length(); i++) {
                        char c = s.charAt(i);
                        if ((excluded[c >>> 6] & (1L << c)) != 0) {
                            return false;
                        }
                    }
                    return true;
                };
            }
        }
        Pattern compiled = Pattern.compile(regex);
        return s -> compiled.matcher(s).find();
    }

    private static boolean containsLineTerminator(int lo, int hi) {
        for (int c : new int[] {'\n', '\r', '\u0085', '\u2028', '\u2029'}) {
            if (lo <= c && c <= hi) {
                return true;
            }
        }
        return false;
    }

    private static EnumSet<Type> types(JsonNode value) {
        EnumSet<Type> types = EnumSet.noneOf(Type.class);
        for (JsonNode name : value.isArray() ? value : List.of(value)) {
            types.add(switch (text(name)) {
                case "string" -> Type.STRING;
                case "null" -> Type.NULL;
                case "object" -> Type.OBJECT;
                case "array" -> Type.ARRAY;
                case "boolean" -> Type.BOOLEAN;
                default -> throw new UnsupportedOperationException("type " + name);
            });
        }
        return types;
    }

    private static String[] strings(JsonNode value) {
        if (!value.isArray()) {
            throw new UnsupportedOperationException("required");
        }
        List<String> names = new ArrayList<>();
        value.forEach(name -> names.add(text(name)));
        return names.toArray(String[]::new);
    }

    private static int length(JsonNode value) {
        if (!value.canConvertToExactIntegral() || value.asLong() < 0 || value.asLong() > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException("length");
        }
        return value.asInt();
    }

    private static String text(JsonNode value) {
        if (!value.isTextual()) {
            throw new UnsupportedOperationException("not a string");
        }
        return value.textValue();
    }
}
