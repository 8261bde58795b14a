package io.tla.topology.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.schemas.ConversationType;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Json;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.model.CachedTranslation;
import io.tla.topology.model.PendingCall;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class CompactSerdesTest {

    /** Nanoseconds, before the epoch too: instants come back exactly. */
    private static final Instant RECEIVED = Instant.parse("2026-11-25T10:15:30.123456789Z");
    private static final String UNICODE = "Grüße, 東京の会議は木曜日に 👋 — \u0000 und \uD83D\uDE00";

    private static NormalizedMessage everyField() {
        return new NormalizedMessage("m-1", "6f1c2a7e-4c1b", "19:abc@thread.tacv2;messageid=17", ConversationType.CHANNEL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), UNICODE, "team-aad-1", "19:chan@thread.tacv2",
                "1700000000000", "https://smba.trafficmanager.net/emea/", RECEIVED, "19:team@thread.tacv2", "sales",
                Instant.parse("1969-12-31T23:59:59.5Z"));
    }

    private static NormalizedMessage onlyRequiredFields() {
        return new NormalizedMessage("m-2", "t", "c", ConversationType.PERSONAL, new Sender(null, null, null), "",
                null, null, null, null, RECEIVED);
    }

    private static <T> T roundTrip(BinarySerde<T> serde, T value) {
        byte[] bytes = serde.serializer().serialize("topic", value);
        assertThat(bytes[0]).isEqualTo(BinarySerde.FORMAT);
        return serde.deserializer().deserialize("topic", bytes);
    }

    @Test
    void repartitionedMessagesComeBackWithEveryFieldNullsAndUnicodeIntact() {
        assertThat(roundTrip(CompactSerdes.MESSAGE, everyField())).isEqualTo(everyField());
        assertThat(roundTrip(CompactSerdes.MESSAGE, onlyRequiredFields())).isEqualTo(onlyRequiredFields());
        for (ConversationType type : ConversationType.values()) {
            NormalizedMessage message = new NormalizedMessage("m", "t", "c", type, new Sender("s", "n", "a"), "x",
                    null, null, null, null, RECEIVED);
            assertThat(roundTrip(CompactSerdes.MESSAGE, message).conversationType()).isEqualTo(type);
        }
    }

    @Test
    void aBinaryMessageIsSmallerThanItsJson() throws Exception {
        NormalizedMessage message = everyField().withText("Guten Morgen zusammen, ".repeat(40));

        int binary = CompactSerdes.MESSAGE.encode(message).length;
        int json = Json.mapper().writeValueAsBytes(message).length;

        assertThat(binary).isLessThan(json - 200);
    }

    @Test
    void messagesWrittenAsJsonBeforeTheUpgradeAreStillRead() {
        byte[] json = Topics.MESSAGES.valueSerde().serializer().serialize("t", everyField());

        assertThat(CompactSerdes.MESSAGE.deserializer().deserialize("messages-by-tenant", json)).isEqualTo(everyField());
    }

    @Test
    void pendingCallsKeepTheirRequestContextGlossaryReservationTelemetryFactsAndReplayAttempt() {
        Turn answered = new Turn("m-0", "Ben", UNICODE, RECEIVED, "de",
                List.of(new Translation("en", "Greetings"), new Translation("ja", "こんにちは")));
        Turn unanswered = new Turn("m-00", null, "", null, null, List.of());
        TranslationRequest request = new TranslationRequest(everyField(), List.of("en", "ja", "pt-BR"),
                new BudgetReservation("2026-11-25", "2026-11", 1234, 400, new BigDecimal("0.00012345")),
                List.of(answered, unanswered), "de", "polite",
                List.of(new GlossaryTerm("Schnittstelle", "en", "interface", true, GlossaryEntry.Scope.CHANNEL),
                        new GlossaryTerm("Besprechung", "ja", "会議", false, GlossaryEntry.Scope.USER)),
                Map.of("budget.decision", Map.of("decision", "allowed", "reservedTokens", 1234, "at", "2026-11-25T10:15:30Z"),
                        "context.retrieved", Map.of("turns", 2, "glossaryTerms", 2, "tone", "polite")));
        PendingCall call = new PendingCall(request, 1_764_065_730_123L, 3);

        assertThat(roundTrip(CompactSerdes.PENDING_CALL, call)).isEqualTo(call);

        PendingCall bare = new PendingCall(new TranslationRequest(null, List.of(), null, List.of()), -1L);
        assertThat(roundTrip(CompactSerdes.PENDING_CALL, bare)).isEqualTo(bare);
    }

    @Test
    void pendingCallsStoredAsJsonBeforeTheUpgradeAreStillRead() {
        PendingCall call = new PendingCall(new TranslationRequest(everyField(), List.of("en"),
                new BudgetReservation("2026-11-25", 20, 100, new BigDecimal("0.1")), List.of()), 42L, 1);
        byte[] json = new JsonSerde<>(PendingCall.class).serializer().serialize("t", call);

        assertThat(CompactSerdes.PENDING_CALL.decode(json)).isEqualTo(call);
    }

    @Test
    void spendKeepsItsExactAmountCountersAndReportedThresholds() {
        TenantSpend spend = new TenantSpend(new BigDecimal("12.34500000"), 98_765, 321, 7,
                List.of("daily-usd@0.8", "monthly-usd@1.0"));
        TenantSpend huge = new TenantSpend(new BigDecimal("123456789012345678901234567890.123456789"), Long.MAX_VALUE,
                0, 0, List.of());

        TenantSpend read = roundTrip(CompactSerdes.TENANT_SPEND, spend);
        assertThat(read).isEqualTo(spend);
        assertThat(read.spentUsd().scale()).isEqualTo(8);
        assertThat(roundTrip(CompactSerdes.TENANT_SPEND, huge)).isEqualTo(huge);
        assertThat(roundTrip(CompactSerdes.TENANT_SPEND, TenantSpend.NONE)).isEqualTo(TenantSpend.NONE);
        assertThat(CompactSerdes.TENANT_SPEND.encode(spend).length).isLessThan(48);
    }

    @Test
    void spendStoredAsJsonByEarlierReleasesIsStillRead() {
        byte[] dayOnlyGuard = "{\"spentUsd\":0.25,\"tokens\":300,\"allowed\":3,\"refused\":1}"
                .getBytes(StandardCharsets.UTF_8);

        TenantSpend read = CompactSerdes.TENANT_SPEND.deserializer().deserialize("changelog", dayOnlyGuard);

        assertThat(read.spentUsd()).isEqualByComparingTo("0.25");
        assertThat(read.tokens()).isEqualTo(300);
        assertThat(read.thresholdsReported()).isEmpty();
    }

    @Test
    void cachedTranslationsComeBackWithNullsAndUnicode() {
        CachedTranslation cached = new CachedTranslation("openai", null, "de",
                List.of(new Translation("en", UNICODE), new Translation("ja", "")), 1_764_065_730_123L);
        byte[] json = new JsonSerde<>(CachedTranslation.class).serializer().serialize("t", cached);

        assertThat(roundTrip(CompactSerdes.CACHED_TRANSLATION, cached)).isEqualTo(cached);
        assertThat(CompactSerdes.CACHED_TRANSLATION.decode(json)).isEqualTo(cached);
    }

    @Test
    void aDamagedValueIsRefusedWithoutQuotingIt() {
        byte[] whole = CompactSerdes.MESSAGE.encode(everyField());
        byte[] truncated = Arrays.copyOf(whole, whole.length - 3);
        byte[] trailing = Arrays.copyOf(whole, whole.length + 1);
        byte[] unknownFormat = whole.clone();
        unknownFormat[0] = 9;

        for (byte[] damaged : List.of(truncated, trailing, unknownFormat, new byte[0])) {
            assertThatThrownBy(() -> CompactSerdes.MESSAGE.decode(damaged))
                    .isInstanceOf(SerializationException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Grüße").doesNotContain("anna"));
        }
        assertThatThrownBy(() -> CompactSerdes.MESSAGE.decode("{\"text\":\"secret text\"".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret text"));
        assertThat(CompactSerdes.MESSAGE.decode(null)).isNull();
        assertThat(CompactSerdes.MESSAGE.encode(null)).isNull();
    }
}
