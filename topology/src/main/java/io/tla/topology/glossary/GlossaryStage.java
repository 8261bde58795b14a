package io.tla.topology.glossary;

import io.tla.schemas.NormalizedMessage;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Attaches the applicable glossary terms to each record: reads the message and its target languages from the
 * value, looks the terms up in {@link GlossaryStore#STORE} and forwards {@code attach(value, terms)}. Generic in
 * the value so the topology decides what carries the terms, e.g.
 * {@code new GlossaryStage<>(TranslationRequest::message, TranslationRequest::targetLanguages, TranslationRequest::withGlossary)}.
 * Needs {@link GlossaryStore#addGlobalStore} on the same builder; no store is connected to it.
 */
public final class GlossaryStage<K, V, VOut> implements Processor<K, V, K, VOut> {

    public static final String NAME = "glossary-terms";

    private final Function<V, NormalizedMessage> message;
    private final Function<V, List<String>> targetLanguages;
    private final BiFunction<V, List<GlossaryTerm>, VOut> attach;
    private ProcessorContext<K, VOut> context;
    private GlossaryLookup lookup;

    public GlossaryStage(Function<V, NormalizedMessage> message, Function<V, List<String>> targetLanguages,
                         BiFunction<V, List<GlossaryTerm>, VOut> attach) {
        this.message = Objects.requireNonNull(message, "message");
        this.targetLanguages = Objects.requireNonNull(targetLanguages, "targetLanguages");
        this.attach = Objects.requireNonNull(attach, "attach");
    }

    @Override
    public void init(ProcessorContext<K, VOut> context) {
        this.context = context;
        this.lookup = GlossaryLookup.from(context);
    }

    @Override
    public void process(Record<K, V> record) {
        V value = record.value();
        List<GlossaryTerm> terms = lookup.termsFor(message.apply(value), targetLanguages.apply(value));
        context.forward(record.withValue(attach.apply(value, terms)));
    }
}
