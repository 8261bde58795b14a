package io.tla.topology.compliance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.ComplianceConfig;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.topology.ReplyIds;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetSettlement;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Keeps personal data away from the model providers, per the tenant's policy ({@code compliance.pii-policy},
 * {@code tenant.ID.pii-policy}), before context retrieval, so neither the message nor the turns later sent as
 * context carry it:
 *
 * <ul>
 *   <li>{@code redact}: the message continues with each match replaced by a placeholder ({@link PersonalData}).</li>
 *   <li>{@code refuse}: nothing is sent; the sender gets a {@code failed} reply naming the kinds of data found,
 *       worded in the language the message is written in ({@link PiiRefusals}, detected by {@code languageOf}
 *       for refused messages only), and the budget reservation is released.</li>
 *   <li>{@code off}: the message continues unchanged.</li>
 * </ul>
 *
 * A {@code pii.detected} telemetry event names the rules that fired, their counts and the action; the matched
 * text appears nowhere (not in telemetry, logs or metrics). Stateless.
 */
public final class PiiGuard implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "pii-guard";
    public static final String REDACTED = "redacted";
    public static final String REFUSED = "refused";

    private final ComplianceConfig compliance;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Function<String, String> languageOf;
    private ProcessorContext<String, StageOutput> context;

    /** A guard whose refusals are in English (tests of the other policies). */
    public PiiGuard(ComplianceConfig compliance, Clock clock, MeterRegistry meters) {
        this(compliance, clock, meters, text -> PiiRefusals.FALLBACK_LANGUAGE);
    }

    /**
     * @param languageOf the BCP-47 primary language of a text ({@code de}, or {@code und} when unknown); only
     *                   asked for refused messages, to word the refusal. It runs on the original text, in the
     *                   process: the text leaves for no one.
     */
    public PiiGuard(ComplianceConfig compliance, Clock clock, MeterRegistry meters,
                    Function<String, String> languageOf) {
        this.compliance = compliance;
        this.clock = clock;
        this.meters = meters;
        this.languageOf = languageOf;
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        TranslationRequest request = record.value();
        NormalizedMessage message = request.message();
        String policy = compliance.piiPolicyFor(message.tenantId());
        PersonalData.Redaction redaction = "off".equals(policy) ? null
                : PersonalData.redact(message.text(), compliance.piiRules());
        if (redaction == null || !redaction.found()) {
            context.forward(record.withValue(StageOutput.proceed(request)));
            return;
        }
        String action = "refuse".equals(policy) ? REFUSED : REDACTED;
        redaction.matches().forEach((rule, count) -> Counter.builder("tla.pii.detected").tag("rule", rule)
                .tag("action", action).description("Personal data found in messages, by rule and action")
                .register(meters).increment(count));
        Instant now = clock.instant();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("rules", redaction.rules());
        attributes.put("matches", redaction.matches());
        attributes.put("action", action);
        TranslationRequest detected = request.withFact(TelemetryEvent.Types.PII_DETECTED, attributes, now);
        if (action.equals(REDACTED)) {
            context.forward(record.withValue(StageOutput.proceed(detected.withMessage(message.withText(
                    redaction.text())))));
            return;
        }
        String language = languageOf.apply(message.text());
        Translation text = PiiRefusals.refusal(language, redaction.rules());
        ReplyEvent refusal = ReplyEvent.answering(message, ReplyIds.of(message, ReplyKind.FAILED), ReplyKind.FAILED,
                language, List.of(text), NAME, null, null, now);
        // the refusal ends the message's path: its one event
        TelemetryEvent processed = TelemetryEvents.processed(detected.withFact(TelemetryEvent.Types.REPLY_EMITTED,
                TelemetryEvents.replyEmitted(message, refusal, now), now), now);
        context.forward(record.withValue(StageOutput.reply(refusal, processed)
                .settling(BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation()))));
    }
}
