package io.tla.topology.preferences;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.LanguagePreference.Scope;
import io.tla.topology.preferences.LanguageCommand.Action;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LanguageCommandTest {

    @Test
    void personalCommandsInAnyCaseAndSpacing() {
        assertThat(LanguageCommand.parse("languages"))
                .contains(new LanguageCommand(Scope.USER, Action.LIST, List.of()));
        assertThat(LanguageCommand.parse("  Languages   ADD fr  DE\n"))
                .contains(new LanguageCommand(Scope.USER, Action.ADD, List.of("fr", "DE")));
        assertThat(LanguageCommand.parse("languages remove pt_BR"))
                .contains(new LanguageCommand(Scope.USER, Action.REMOVE, List.of("pt_BR")));
        // what the ingress leaves of "<at>Translator</at>&nbsp;languages add fr"
        assertThat(LanguageCommand.parse("\u00A0languages\u00A0add\u200Bfr"))
                .contains(new LanguageCommand(Scope.USER, Action.ADD, List.of("fr")));
    }

    @Test
    void channelCommands() {
        assertThat(LanguageCommand.parse("languages channel"))
                .contains(new LanguageCommand(Scope.CHANNEL, Action.LIST, List.of()));
        assertThat(LanguageCommand.parse("LANGUAGES Channel add it zh-Hant"))
                .contains(new LanguageCommand(Scope.CHANNEL, Action.ADD, List.of("it", "zh-Hant")));
        assertThat(LanguageCommand.parse("languages channel remove it"))
                .contains(new LanguageCommand(Scope.CHANNEL, Action.REMOVE, List.of("it")));
    }

    @Test
    void argumentsThatLookLikeMistypedTagsAreStillCommands() {
        // the command stage answers these, naming the tags it does not know
        assertThat(LanguageCommand.parse("languages add french xx")).map(LanguageCommand::arguments)
                .contains(List.of("french", "xx"));
    }

    @Test
    void textThatIsNotExactlyACommandIsTranslatedAsUsual() {
        for (String text : List.of("", "   ", "languages are hard", "Languages add complexity to our product",
                "languages add", "languages channel add", "language add fr", "languages add fr.",
                "languages add fr, de", "languages list", "languages channel add fr 2", "please: languages add fr",
                "languages add " + "fr ".repeat(LanguageCommand.MAX_ARGUMENTS + 1),
                "languages add " + "x".repeat(2000))) {
            assertThat(LanguageCommand.parse(text)).as(text).isEqualTo(Optional.empty());
        }
        assertThat(LanguageCommand.parse(null)).isEmpty();
    }
}
