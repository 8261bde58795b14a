package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The compiled activity schema must accept exactly what the general validator accepts: the ingress takes its "valid"
 * without asking the general validator. Checked on every fixture and on thousands of mutations of them that hit each
 * keyword of the schema (types, const, required, lengths in code points, the text's pattern).
 */
class CompiledSchemaTest {

    private static final CompiledSchema COMPILED = CompiledSchema.load(ContractSchema.TEAMS_ACTIVITY.name())
            .orElseThrow();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static boolean generalValid(JsonNode document) {
        return ContractSchema.TEAMS_ACTIVITY.violations(document).isEmpty();
    }

    private static List<JsonNode> fixtures() throws Exception {
        List<JsonNode> all = new ArrayList<>();
        for (String file : TeamsActivityFixtures.files()) {
            all.add(Json.mapper().readTree(TeamsActivityFixtures.bytes(file)));
        }
        for (String name : new String[] {Fixtures.CHANNEL_MENTION, Fixtures.GROUP_CHAT, Fixtures.PERSONAL_CHAT}) {
            all.add(Fixtures.json(name));
        }
        return all;
    }

    @Test
    void theContractsActivitySchemaCompiles() {
        assertThat(CompiledSchema.load(ContractSchema.TEAMS_ACTIVITY.name())).isPresent();
    }

    @Test
    void everyFixtureIsValidForBoth() throws Exception {
        for (JsonNode fixture : fixtures()) {
            assertThat(generalValid(fixture)).isTrue();
            assertThat(COMPILED.valid(fixture)).isTrue();
        }
    }

    @Test
    void agreesWithTheGeneralValidatorOnEveryMutationOfEveryField() throws Exception {
        int valid = 0;
        int invalid = 0;
        for (JsonNode fixture : fixtures()) {
            for (String[] path : fieldPaths(fixture)) {
                for (JsonNode replacement : replacements()) {
                    ObjectNode mutated = fixture.deepCopy();
                    set(mutated, path, replacement);
                    boolean expected = generalValid(mutated);
                    assertThat(COMPILED.valid(mutated)).as("%s = %s", String.join(".", path), replacement)
                            .isEqualTo(expected);
                    if (expected) {
                        valid++;
                    } else {
                        invalid++;
                    }
                }
                ObjectNode removed = fixture.deepCopy();
                remove(removed, path);
                assertThat(COMPILED.valid(removed)).as("without %s", String.join(".", path))
                        .isEqualTo(generalValid(removed));
            }
        }
        // both outcomes are well represented, so the agreement means something
        assertThat(valid).isGreaterThan(500);
        assertThat(invalid).isGreaterThan(500);
    }

    @Test
    void agreesWithTheGeneralValidatorOnRandomTexts() throws Exception {
        JsonNode base = fixtures().get(0);
        SplittableRandom random = new SplittableRandom(7);
        String[] pieces = {"a", "ü", " ", "\t", "\n", "\r", "\u0000", "\u0001", "\u0008", "\u000B", "\u000C", "\u000E",
            "\u001F", "\u007F", "\u0080", "\u0085", "\u2028", "\u2029", "\uD83D\uDE00", "\uD83D", "\uDE00", "<at>x</at>"};
        for (int i = 0; i < 3_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(8);
            for (int j = 0; j < length; j++) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            ObjectNode mutated = base.deepCopy();
            mutated.put("text", text.toString());
            assertThat(COMPILED.valid(mutated)).as("text %s", text.codePoints().boxed().toList())
                    .isEqualTo(generalValid(mutated));
        }
    }

    @Test
    void lengthsCountCodePointsAsTheGeneralValidatorDoes() throws Exception {
        JsonNode base = fixtures().get(0);
        String face = "\uD83D\uDE00"; // one code point, two UTF-16 units
        for (String id : new String[] {face.repeat(256), face.repeat(257), "a".repeat(256), "a".repeat(257),
            face.repeat(200) + "a".repeat(56), face.repeat(200) + "a".repeat(57), face, ""}) {
            ObjectNode mutated = base.deepCopy();
            mutated.put("id", id);
            assertThat(COMPILED.valid(mutated)).as("id of %d code points", id.codePointCount(0, id.length()))
                    .isEqualTo(generalValid(mutated));
        }
    }

    @Test
    void aSchemaWithAKeywordOutsideTheSubsetDoesNotCompile() throws Exception {
        assertThat(CompiledSchema.compile(Json.mapper().readTree(
                "{\"type\":\"object\",\"additionalProperties\":false}"))).isEmpty();
        assertThat(CompiledSchema.compile(Json.mapper().readTree(
                "{\"properties\":{\"n\":{\"type\":\"integer\"}}}"))).isEmpty();
        assertThat(CompiledSchema.compile(Json.mapper().readTree(
                "{\"properties\":{\"n\":{\"enum\":[\"a\"]}}}"))).isEmpty();
    }

    @Test
    void anExcludedClassPatternMatchesExactlyWhatTheRegularExpressionFinds() {
        List<String> regexes = List.of("^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$",
                "^[^\\u0041]*$",
                "^[^\\u0000-\\u001F]*$", // includes LF and CR, which $ matches before: the regular expression decides
                "^[^\\uD800-\\uDFFF]*$", // surrogates: likewise
                "^[a-z]*$");
        SplittableRandom random = new SplittableRandom(11);
        char[] alphabet = {'a', 'A', 'z', '\u0000', '\u0007', '\t', '\n', '\r', '\u000B', '\u001F', '\u007F', '\u0085',
            '\u2028', '\uD83D', '\uDE00', 'ü'};
        for (String regex : regexes) {
            Predicate<String> compiled = CompiledSchema.pattern(regex);
            Pattern reference = Pattern.compile(regex);
            for (int i = 0; i < 5_000; i++) {
                char[] chars = new char[random.nextInt(6)];
                for (int j = 0; j < chars.length; j++) {
                    chars[j] = alphabet[random.nextInt(alphabet.length)];
                }
                String s = new String(chars);
                assertThat(compiled.test(s)).as("%s on %s", regex, s.chars().boxed().toList())
                        .isEqualTo(reference.matcher(s).find());
            }
        }
    }

    private static List<JsonNode> replacements() {
        ObjectNode object = NODES.objectNode().put("id", "x");
        ArrayNode array = NODES.arrayNode().add(NODES.objectNode().put("type", "mention"));
        return List.of(NODES.nullNode(), NODES.numberNode(1), NODES.numberNode(1.5), NODES.booleanNode(true),
                NODES.textNode(""), NODES.textNode("message"), NODES.textNode("Message"), NODES.textNode("x"),
                NODES.textNode("a".repeat(129)), NODES.textNode("a".repeat(257)), NODES.textNode("a".repeat(513)),
                NODES.textNode("a".repeat(1025)), NODES.textNode("a".repeat(2049)), NODES.textNode("bell \u0007"),
                NODES.textNode("tab\tand\r\nlines"), object, array, NODES.arrayNode(),
                NODES.arrayNode().add(1), NODES.objectNode());
    }

    /** Every field path of the document, and the schema's own paths even where the document lacks them. */
    private static List<String[]> fieldPaths(JsonNode document) {
        List<String[]> paths = new ArrayList<>();
        collect(document, new ArrayList<>(), paths);
        for (String path : new String[] {"timestamp", "serviceUrl", "channelId", "textFormat", "recipient",
            "attachments", "entities", "channelData", "replyToId", "from.name", "from.aadObjectId",
            "conversation.tenantId", "conversation.conversationType", "conversation.isGroup", "conversation.name",
            "channelData.tenant", "channelData.tenant.id", "channelData.team", "channelData.team.id",
            "channelData.team.aadGroupId", "channelData.channel", "channelData.channel.id",
            "channelData.teamsChannelId", "channelData.teamsTeamId"}) {
            paths.add(path.split("\\."));
        }
        return paths;
    }

    private static void collect(JsonNode node, List<String> prefix, List<String[]> paths) {
        if (!node.isObject() || prefix.size() > 3) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            List<String> path = new ArrayList<>(prefix);
            path.add(field.getKey());
            paths.add(path.toArray(String[]::new));
            collect(field.getValue(), path, paths);
            if (field.getValue().isArray() && !field.getValue().isEmpty()) {
                // the first item's fields, as "name.0.field"
                List<String> item = new ArrayList<>(path);
                item.add("0");
                collect(field.getValue().get(0), item, paths);
            }
        }
    }

    private static void set(ObjectNode document, String[] path, JsonNode value) {
        JsonNode parent = parent(document, path, true);
        String last = path[path.length - 1];
        if (parent instanceof ObjectNode object) {
            object.set(last, value);
        } else if (parent instanceof ArrayNode array && last.matches("\\d+") && Integer.parseInt(last) < array.size()) {
            array.set(Integer.parseInt(last), value);
        }
    }

    private static void remove(ObjectNode document, String[] path) {
        JsonNode parent = parent(document, path, false);
        if (parent instanceof ObjectNode object) {
            object.remove(path[path.length - 1]);
        }
    }

    private static JsonNode parent(ObjectNode document, String[] path, boolean create) {
        JsonNode current = document;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode next = current.isArray() ? current.path(Integer.parseInt(path[i])) : current.path(path[i]);
            if (next.isMissingNode() || next.isNull()) {
                if (!create || !(current instanceof ObjectNode object)) {
                    return null;
                }
                next = object.putObject(path[i]);
            }
            current = next;
        }
        return current;
    }
}
