package io.tla.topology.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.topology.ReplyIds;
import io.tla.topology.StageOutput;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TranslationRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3: the model call. Asks the provider for every target language and turns the answer into a
 * {@code translation} reply, or a provider failure into a {@code failed} reply; either way the sender hears
 * back and telemetry records the call.
 *
 * <p>The provider interface is asynchronous, but this stage still waits for each answer, bounded by the
 * provider timeout. That is only acceptable because the shipped offline provider completes at once; network
 * providers need the pending-store design (dispatch, then forward from the stream thread when the answer
 * arrives) so stream threads never wait on the network.
 */
public final class ModelCall implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "model-call";

    private static final Logger log = LoggerFactory.getLogger(ModelCall.class);

    private final ModelProvider provider;
    private final Duration timeout;
    private final int maxOutputTokens;
    private final Clock clock;
    private final MeterRegistry meters;
    private ProcessorContext<String, StageOutput> context;

    public ModelCall(ModelProvider provider, Duration timeout, int maxOutputTokens, Clock clock, MeterRegistry meters) {
        this.provider = provider;
        this.timeout = timeout;
        this.maxOutputTokens = maxOutputTokens;
        this.clock = clock;
        this.meters = meters;
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        TranslationRequest request = record.value();
        NormalizedMessage message = request.message();
        ModelRequest call = new ModelRequest(message.tenantId(), message.conversationId(), message.messageId(),
                message.text(), request.targetLanguages(), request.context(), maxOutputTokens);
        long started = System.nanoTime();
        ModelResponse response = null;
        String error = null;
        try {
            response = provider.translate(call).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            error = "timeout";
        } catch (ExecutionException e) {
            error = e.getCause() == null ? "error" : e.getCause().getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        long nanos = System.nanoTime() - started;
        Instant now = clock.instant();
        String outcome = response != null ? "ok" : "error";
        Timer.builder("tla.model.call.seconds").tag("provider", provider.name()).tag("outcome", outcome)
                .publishPercentileHistogram().register(meters).record(nanos, TimeUnit.NANOSECONDS);
        Counter.builder("tla.model.calls").tag("provider", provider.name()).tag("outcome", outcome)
                .register(meters).increment();

        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("provider", provider.name());
        attributes.put("outcome", outcome);
        attributes.put("latencyMs", nanos / 1_000_000.0);
        ReplyEvent reply;
        if (response != null) {
            attributes.put("model", response.model());
            attributes.put("inputTokens", response.usage().inputTokens());
            attributes.put("outputTokens", response.usage().outputTokens());
            attributes.put("costUsd", response.usage().costUsd());
            Counter.builder("tla.model.tokens").tag("provider", provider.name()).tag("direction", "input")
                    .register(meters).increment(response.usage().inputTokens());
            Counter.builder("tla.model.tokens").tag("provider", provider.name()).tag("direction", "output")
                    .register(meters).increment(response.usage().outputTokens());
            Counter.builder("tla.model.cost.usd").tag("provider", provider.name())
                    .register(meters).increment(response.usage().costUsd().doubleValue());
            reply = reply(message, ReplyKind.TRANSLATION, response.sourceLanguage(), response.translations(),
                    response.provider(), response.model(), response.usage(), now);
        } else {
            attributes.put("error", error);
            log.warn("event=model_call_failed provider={} tenant={} conversation={} message_id={} error={}",
                    provider.name(), message.tenantId(), message.conversationId(), message.messageId(), error);
            reply = reply(message, ReplyKind.FAILED, null, List.of(new Translation("en",
                            "Sorry, this message could not be translated right now.")),
                    provider.name(), null, null, now);
        }
        TelemetryEvent modelCall = TelemetryEvents.forMessage(TelemetryEvent.Types.MODEL_CALL, message, now, attributes);
        BudgetSettlement settlement = response != null
                ? new BudgetSettlement(message.tenantId(), message.messageId(), request.reservation(), response.usage())
                : BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation());
        context.forward(record.withValue(StageOutput.reply(reply, modelCall,
                TelemetryEvents.replyEmitted(message, reply, now)).settling(settlement)));
    }

    private static ReplyEvent reply(NormalizedMessage message, ReplyKind kind, String sourceLanguage,
                                    List<Translation> translations, String provider, String model,
                                    io.tla.schemas.Usage usage, Instant now) {
        return new ReplyEvent(ReplyIds.of(message, kind), message.tenantId(), message.conversationId(),
                message.messageId(), kind, sourceLanguage, translations, provider, model, usage, now,
                message.conversationType(), message.teamAadGroupId(), message.channelId(), message.rootMessageId(),
                message.serviceUrl(), message.receivedAt());
    }
}
