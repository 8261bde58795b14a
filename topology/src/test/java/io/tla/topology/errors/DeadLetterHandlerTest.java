package io.tla.topology.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Topics;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetReservation;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class DeadLetterHandlerTest {

    @Test
    void repliesFailedToTheSenderOfARequestThatFailedAfterTheRepartition() throws Exception {
        TranslationRequest request = new TranslationRequest(TopologyHarness.message("t1", "19:c@thread.v2", "m-1", "Hallo"),
                List.of("en"), new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO), List.of());

        ProducerRecord<byte[], byte[]> record = DeadLetterHandler.failedReply(Json.mapper().writeValueAsBytes(request))
                .orElseThrow();

        assertThat(record.topic()).isEqualTo(Topics.REPLIES.name());
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("19:c@thread.v2");
        ReplyEvent reply = Topics.REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
        assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
        assertThat(reply.replyToId()).isEqualTo("m-1");
        assertThat(reply.tenantId()).isEqualTo("t1");
    }

    @Test
    void theFailureNoticeKeepsTheSyncReplyDeadlineAndTeamSoTheWebhookCallCanStillCarryIt() throws Exception {
        Instant deadline = Instant.parse("2026-11-26T09:00:04Z");
        TranslationRequest request = new TranslationRequest(TopologyHarness.message("t1", "19:c@thread.v2", "m-2", "Hallo")
                .forRegistration("sales", deadline), List.of("en"),
                new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO), List.of());

        ReplyEvent reply = Topics.REPLIES.valueSerde().deserializer().deserialize(Topics.REPLIES.name(),
                DeadLetterHandler.failedReply(Json.mapper().writeValueAsBytes(request)).orElseThrow().value());

        assertThat(reply.replyDeadline()).isEqualTo(deadline);
    }

    @Test
    void repliesNothingForBytesThatNameNoMessage() {
        assertThat(DeadLetterHandler.failedReply(null)).isEmpty();
        assertThat(DeadLetterHandler.failedReply("not json".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(DeadLetterHandler.failedReply("{\"tenantId\":\"t1\",\"messageId\":\"m\"}".getBytes(StandardCharsets.UTF_8)))
                .isEmpty();
        assertThat(DeadLetterHandler.failedReply("[1,2]".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }

    @Test
    void keepsTheReplayHeadersOfTheFailedRecordSoReplayCanCountItsAttempts() {
        org.apache.kafka.common.header.Headers source = new org.apache.kafka.common.header.internals.RecordHeaders()
                .add(io.tla.schemas.ErrorHeaders.REPLAY_ATTEMPT, "3".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .add(io.tla.schemas.ErrorHeaders.REPLAY_OF,
                        "teams.messages.dlq.v1/0/17".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .add("unrelated", new byte[] {1});
        org.apache.kafka.common.header.Headers target = new org.apache.kafka.common.header.internals.RecordHeaders();

        DeadLetterHandler.copyReplayHeaders(source, target);

        assertThat(new String(target.lastHeader(io.tla.schemas.ErrorHeaders.REPLAY_ATTEMPT).value(),
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("3");
        assertThat(target.lastHeader(io.tla.schemas.ErrorHeaders.REPLAY_OF)).isNotNull();
        assertThat(target.lastHeader("unrelated")).isNull();
    }

    @Test
    void sendsWhatEarlierStagesObservedAsTheMessagesOneEventWhenItsRequestFails() {
        TranslationRequest request = new TranslationRequest(TopologyHarness.message("t1", "conv-1", "m-3", "Hallo"),
                List.of("en"), new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO), List.of())
                .withFact("budget.decision", java.util.Map.of("decision", "allowed"), TopologyHarness.NOW);

        ProducerRecord<byte[], byte[]> record = DeadLetterHandler.processedTelemetry(
                new org.apache.kafka.streams.processor.api.Record<>("t1", request, 0L)).orElseThrow();

        assertThat(record.topic()).isEqualTo(Topics.TELEMETRY.name());
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("t1");
        io.tla.schemas.TelemetryEvent event = Topics.TELEMETRY.valueSerde().deserializer()
                .deserialize(record.topic(), record.value());
        assertThat(event.eventId()).isEqualTo("message.processed:t1:m-3");
        assertThat(event.facts("budget.decision").orElseThrow()).containsEntry("decision", "allowed");
    }

    @Test
    void sendsNoTelemetryForARecordThatCarriesNoFacts() {
        TranslationRequest request = new TranslationRequest(TopologyHarness.message("t1", "conv-1", "m-4", "Hallo"),
                List.of("en"), new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO), List.of());

        assertThat(DeadLetterHandler.processedTelemetry(
                new org.apache.kafka.streams.processor.api.Record<>("t1", request, 0L))).isEmpty();
        assertThat(DeadLetterHandler.processedTelemetry(new org.apache.kafka.streams.processor.api.Record<>("t1",
                TopologyHarness.message("t1", "conv-1", "m-4", "Hallo"), 0L))).isEmpty();
    }
}
