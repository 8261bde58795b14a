package io.tla.topology.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.Translation;
import io.tla.topology.context.Turn;
import io.tla.schemas.Usage;
import io.tla.topology.serde.CompactSerdes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Translations already paid for, served again without a model call: same tenant, same normalised text (Unicode
 * NFC, white space collapsed), same target languages, tone and glossary terms, same provider chain, and the same
 * conversation context (the earlier turns the prompt carried: sender names, texts, languages, translations). The
 * context is in the key because the answer was built with it: one conversation's turns must never shape, or leak
 * into, the answer served to another conversation or tenant. A message sent without context (a conversation's
 * first) hits only entries also built without context. Entries expire after the TTL, and a task keeps at most
 * {@code maxEntries} (the oldest are purged first). A hit costs nothing.
 */
public final class TranslationCache implements ModelDispatcher.ResponseCache {

    public static final String STORE = "translation-cache-store";

    /** One digest per stream thread, reset for each key. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });

    private final KeyValueStore<String, CachedTranslation> store;
    private final Duration ttl;
    private final int maxEntries;
    private final Counter hits;
    private final Counter misses;

    public TranslationCache(KeyValueStore<String, CachedTranslation> store, Duration ttl, int maxEntries,
                            MeterRegistry meters) {
        this.store = store;
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.hits = Counter.builder("tla.translation.cache").tag("result", "hit").register(meters);
        this.misses = Counter.builder("tla.translation.cache").tag("result", "miss").register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, CachedTranslation>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                CompactSerdes.CACHED_TRANSLATION).withCachingEnabled();
    }

    public boolean enabled() {
        return !ttl.isZero() && maxEntries > 0;
    }

    public static String key(String tenantId, String provider, List<String> targetLanguages, String variant,
                             List<Turn> context, String text) {
        String normalised = collapseWhitespace(Normalizer.normalize(text, Normalizer.Form.NFC).strip());
        // length-prefixed parts: no two different contexts (or variants) can produce the same material. The parts
        // go into the digest one by one, never copied into one string first; the digest is the same.
        MessageDigest digest = SHA_256.get();
        digest.reset();
        for (String part : List.of(tenantId, provider, String.join(",", targetLanguages), variant == null ? "" : variant,
                normalised)) {
            update(digest, part);
        }
        for (Turn turn : context == null ? List.<Turn>of() : context) {
            for (String part : turnParts(turn)) {
                update(digest, part);
            }
        }
        return tenantId + "|" + HexFormat.of().formatHex(digest.digest());
    }

    /** {@code length:part}, or {@code -1:} for a missing part, as UTF-8. */
    private static void update(MessageDigest digest, String part) {
        digest.update(((part == null ? -1 : part.length()) + ":").getBytes(StandardCharsets.US_ASCII));
        if (part != null) {
            digest.update(part.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Each run of white space ({@code \s}: space, tab, line breaks, form feed) as one space, without a regex. */
    static String collapseWhitespace(String text) {
        int length = text.length();
        int i = 0;
        // most texts have only single spaces: nothing to change, nothing to copy
        while (i < length && !(isRegexSpace(text.charAt(i))
                && (text.charAt(i) != ' ' || i + 1 < length && isRegexSpace(text.charAt(i + 1))))) {
            i++;
        }
        if (i == length) {
            return text;
        }
        StringBuilder out = new StringBuilder(length).append(text, 0, i);
        boolean inRun = false;
        for (; i < length; i++) {
            char c = text.charAt(i);
            if (!isRegexSpace(c)) {
                out.append(c);
                inRun = false;
            } else if (!inRun) {
                out.append(' ');
                inRun = true;
            }
        }
        return out.toString();
    }

    private static boolean isRegexSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    /** What of a turn the prompt carries (not its id or time, so equal contexts still share answers). */
    private static List<String> turnParts(Turn turn) {
        List<String> parts = new ArrayList<>();
        parts.add("turn");
        parts.add(turn.senderName());
        parts.add(turn.text());
        parts.add(turn.sourceLanguage());
        for (Translation translation : turn.translations()) {
            parts.add(translation.language());
            parts.add(translation.text());
        }
        parts.add("end");
        return parts;
    }

    /** A fresh cached answer as a provider response with zero usage, or empty (counted as a miss). */
    @Override
    public Optional<ModelResponse> lookup(String key, long now) {
        if (!enabled()) {
            return Optional.empty();
        }
        CachedTranslation cached = store.get(key);
        if (cached == null || now - cached.cachedAt() > ttl.toMillis()) {
            misses.increment();
            return Optional.empty();
        }
        hits.increment();
        return Optional.of(new ModelResponse(cached.provider(), cached.model(), cached.sourceLanguage(),
                cached.translations(), Usage.NONE));
    }

    @Override
    public void put(String key, ModelResponse response, long now) {
        if (enabled()) {
            store.put(key, new CachedTranslation(response.provider(), response.model(), response.sourceLanguage(),
                    response.translations(), now));
        }
    }

    /** Deletes expired entries, then the oldest beyond the size bound. */
    public void purge(long now) {
        List<KeyValue<String, Long>> live = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, CachedTranslation> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, CachedTranslation> entry = all.next();
                if (now - entry.value.cachedAt() > ttl.toMillis()) {
                    expired.add(entry.key);
                } else {
                    live.add(KeyValue.pair(entry.key, entry.value.cachedAt()));
                }
            }
        }
        expired.forEach(store::delete);
        if (live.size() > maxEntries) {
            live.sort(Comparator.comparingLong(entry -> entry.value));
            live.subList(0, live.size() - maxEntries).forEach(entry -> store.delete(entry.key));
        }
    }
}
