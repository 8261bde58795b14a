package io.tla.topology.ratelimit;

import io.tla.topology.TranslationRequest;
import io.tla.topology.serde.BinaryReader;
import io.tla.topology.serde.BinarySerde;
import io.tla.topology.serde.BinaryWriter;
import io.tla.topology.serde.CompactSerdes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A request held back by its tenant's rate limit, as kept in {@value RateLimit#WAITING_STORE}: the request, its
 * input record's timestamp and headers (the replay attempt travels in one), and the wall-clock time it began to
 * wait. Written in the transaction of its input offset, deleted in the transaction that releases or refuses it.
 *
 * @param headers the input record's headers as name and base64 value pairs, in order
 */
record WaitingRequest(TranslationRequest request, long timestamp, long waitingSinceMs, List<String> headers) {

    static final BinarySerde<WaitingRequest> SERDE = new BinarySerde<>(WaitingRequest.class, 1792,
            WaitingRequest::write, WaitingRequest::read);

    WaitingRequest {
        headers = List.copyOf(headers);
    }

    static WaitingRequest of(TranslationRequest request, long timestamp, long waitingSinceMs, Headers headers) {
        List<String> pairs = new ArrayList<>();
        for (Header header : headers) {
            pairs.add(header.key());
            pairs.add(header.value() == null ? "" : Base64.getEncoder().encodeToString(header.value()));
        }
        return new WaitingRequest(request, timestamp, waitingSinceMs, pairs);
    }

    /** The input record's headers, as it had them. */
    Headers recordHeaders() {
        RecordHeaders out = new RecordHeaders();
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            out.add(headers.get(i), Base64.getDecoder().decode(headers.get(i + 1)));
        }
        return out;
    }

    /** Tokens the budget guard reserved for the request: what it weighs against the tokens-per-minute limit. */
    long tokens() {
        return tokensOf(request);
    }

    static long tokensOf(TranslationRequest request) {
        return request.reservation() == null ? 0 : request.reservation().reservedTokens();
    }

    private static void write(BinaryWriter out, WaitingRequest waiting) {
        CompactSerdes.writeRequest(out, waiting.request());
        out.writeSignedVarLong(waiting.timestamp());
        out.writeSignedVarLong(waiting.waitingSinceMs());
        out.writeStrings(waiting.headers());
    }

    private static WaitingRequest read(BinaryReader in) {
        TranslationRequest request = CompactSerdes.readRequest(in);
        long timestamp = in.readSignedVarLong();
        long since = in.readSignedVarLong();
        List<String> headers = in.readStrings();
        return new WaitingRequest(request, timestamp, since, headers == null ? List.of() : headers);
    }
}
