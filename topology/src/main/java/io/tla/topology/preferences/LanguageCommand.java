package io.tla.topology.preferences;

import io.tla.schemas.LanguagePreference.Scope;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A message to the bot that is exactly a language command (the @mention already removed by the ingress), in any
 * case and with any spacing:
 *
 * <pre>
 * languages                         what this conversation is translated into, and your own languages
 * languages add fr [de ...]         add to your own languages
 * languages remove fr [de ...]      remove from your own languages
 * languages channel                 the channel's languages
 * languages channel add|remove ...  change the channel's languages (tenant.ID.language-admins only)
 * </pre>
 *
 * Only text that is exactly such a command is one: each argument must look like a tag someone meant to type (2–8
 * letters, then {@code -} or {@code _} and 1–8 letters or digits, repeated) and there are at most
 * {@link #MAX_ARGUMENTS}, so a sentence that merely starts with "languages" ("Languages add complexity to our
 * product") is translated as usual. Whether each argument is a valid tag is for the command stage to say.
 */
public record LanguageCommand(Scope scope, Action action, List<String> arguments) {

    /** Most arguments of one command: more than a scope may hold, so "too many" is answered, not translated. */
    public static final int MAX_ARGUMENTS = 16;

    private static final Pattern SEPARATORS = Pattern.compile("[\\s\\p{Z}\\u200B\\u2060\\uFEFF]+");
    private static final Pattern TAG_LIKE = Pattern.compile("[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*");
    /** Longer text cannot be a command: skip the split. */
    private static final int MAX_LENGTH = 64 + MAX_ARGUMENTS * 20;

    public enum Action {
        LIST("list"),
        ADD("add"),
        REMOVE("remove");

        private final String wireName;

        Action(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    public LanguageCommand {
        arguments = List.copyOf(arguments);
    }

    /** The command {@code text} is, or empty when it is not exactly one. */
    public static Optional<LanguageCommand> parse(String text) {
        if (text == null || text.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        List<String> words = Arrays.stream(SEPARATORS.split(text)).filter(word -> !word.isEmpty()).toList();
        if (words.isEmpty() || !words.get(0).equalsIgnoreCase("languages")) {
            return Optional.empty();
        }
        int next = 1;
        Scope scope = Scope.USER;
        if (next < words.size() && words.get(next).equalsIgnoreCase("channel")) {
            scope = Scope.CHANNEL;
            next++;
        }
        if (next == words.size()) {
            return Optional.of(new LanguageCommand(scope, Action.LIST, List.of()));
        }
        Action action;
        if (words.get(next).equalsIgnoreCase("add")) {
            action = Action.ADD;
        } else if (words.get(next).equalsIgnoreCase("remove")) {
            action = Action.REMOVE;
        } else {
            return Optional.empty();
        }
        List<String> arguments = words.subList(next + 1, words.size());
        if (arguments.isEmpty() || arguments.size() > MAX_ARGUMENTS
                || !arguments.stream().allMatch(argument -> TAG_LIKE.matcher(argument).matches())) {
            return Optional.empty();
        }
        return Optional.of(new LanguageCommand(scope, action, arguments));
    }
}
