package io.tla.topology.glossary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.GlossaryEntry.Scope;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GlossaryCsvTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final GlossaryCsv.Target TENANT_WIDE = new GlossaryCsv.Target("t1", Scope.TENANT, null, false, AT);

    private static GlossaryCsv.Result parse(String csv) {
        return GlossaryCsv.parse(csv.getBytes(StandardCharsets.UTF_8), TENANT_WIDE);
    }

    @Test
    void goodFileBecomesOneEntryPerRowInFileOrder() {
        GlossaryCsv.Result result = parse("""
                source,target,language,strict
                API,Schnittstelle,de,true
                deploy,ausrollen,de,
                invoice,請求書,ja,no
                """);
        assertThat(result.badRows()).isEmpty();
        assertThat(result.entries()).containsExactly(
                new GlossaryEntry("t1", Scope.TENANT, null, "API", "de", "Schnittstelle", true, AT),
                new GlossaryEntry("t1", Scope.TENANT, null, "deploy", "de", "ausrollen", false, AT),
                new GlossaryEntry("t1", Scope.TENANT, null, "invoice", "ja", "請求書", false, AT));
    }

    @Test
    void quotedFieldsMayHoldCommasQuotesAndLineBreaks() {
        GlossaryCsv.Result result = parse("source,target,language\n"
                + "\"Terms, Conditions\",\"Geschäftsbedingungen, AGB\",de\n"
                + "\"say \"\"hi\"\"\",\"sag \"\"hallo\"\"\",de\n");
        assertThat(result.badRows()).isEmpty();
        assertThat(result.entries()).extracting(GlossaryEntry::sourceTerm, GlossaryEntry::targetTerm).containsExactly(
                org.assertj.core.groups.Tuple.tuple("Terms, Conditions", "Geschäftsbedingungen, AGB"),
                org.assertj.core.groups.Tuple.tuple("say \"hi\"", "sag \"hallo\""));
    }

    @Test
    void byteOrderMarkCrLfHeaderCaseAndColumnOrderAreTolerated() {
        byte[] excel = "\uFEFFLanguage;Source;Target\r\nde;API;Schnittstelle\r\n".replace(';', ',')
                .getBytes(StandardCharsets.UTF_8);
        GlossaryCsv.Result result = GlossaryCsv.parse(excel,
                new GlossaryCsv.Target("t1", Scope.CHANNEL, "19:c@thread.tacv2", true, AT));
        assertThat(result.badRows()).isEmpty();
        assertThat(result.entries()).containsExactly(
                new GlossaryEntry("t1", Scope.CHANNEL, "19:c@thread.tacv2", "API", "de", "Schnittstelle", true, AT));
    }

    @Test
    void badRowsAreReportedWithTheLineTheyStartOn() {
        GlossaryCsv.Result result = parse("""
                source,target,language,strict
                API,Schnittstelle,de,true
                ,leer,de,

                "multi
                line",ok,de,
                deploy,,de,
                release,Freigabe,german,
                invoice,Rechnung,de,maybe
                too,many,fields,true,extra
                api,Schnittstelle,DE,
                """);
        assertThat(result.badRows()).extracting(Object::toString).containsExactly(
                "line 3: source is empty",
                "line 5: sourceTerm may not contain control characters",
                "line 7: target is empty",
                "line 8: targetLanguage is not a language tag such as en or pt-BR: german",
                "line 9: strict must be true or false, found 'maybe'",
                "line 10: expected 4 fields (source,target,language,strict), found 5",
                "line 11: duplicate of line 2 (same source term and language)");
        assertThat(result.entries()).extracting(GlossaryEntry::sourceTerm).containsExactly("API");
    }

    @Test
    void fileProblemsAreReportedAsAWhole() {
        assertThatThrownBy(() -> parse("")).isInstanceOf(GlossaryCsv.InvalidFileException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> parse("source,target,lang\nAPI,x,de\n"))
                .isInstanceOf(GlossaryCsv.InvalidFileException.class).hasMessageContaining("unknown column 'lang'");
        assertThatThrownBy(() -> parse("source,target\nAPI,x\n"))
                .isInstanceOf(GlossaryCsv.InvalidFileException.class).hasMessageContaining("no 'language' column");
        assertThatThrownBy(() -> parse("source,target,language\n\"API,x,de\n"))
                .isInstanceOf(GlossaryCsv.InvalidFileException.class).hasMessageContaining("not a readable CSV");
        byte[] latin1 = "source,target,language\nStraße,street,en\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> GlossaryCsv.parse(latin1, TENANT_WIDE))
                .isInstanceOf(GlossaryCsv.InvalidFileException.class).hasMessageContaining("not UTF-8");
    }
}
