package io.tla.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStore;
import io.tla.platform.secrets.SecretStores;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tla send}: posts a realistic Teams outgoing-webhook activity, signed with the configured key, to the
 * running ingress, then waits for its reply on {@code teams.replies.v1} and prints it with the latency.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Sign and post a sample Teams message to the running ingress, then print its reply.")
final class SendCommand implements Callable<Integer> {

    static final String DEFAULT_TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    static final String DEFAULT_CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";
    static final String DEFAULT_CONVERSATION = DEFAULT_CHANNEL + ";messageid=1732540000000";

    @Mixin
    TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

    @Option(names = "--text", required = true, description = "The message text.")
    String text;

    @Option(names = "--tenant", description = "Tenant id the activity names (default: the tenant the signing key is"
            + " bound to; in development mode " + DEFAULT_TENANT + "). Another tenant than the key's is refused with 403.")
    String tenant;

    @Option(names = "--conversation", defaultValue = DEFAULT_CONVERSATION,
            description = "Conversation id; a channel thread id ends ';messageid=<root>' (default: a channel thread).")
    String conversation;

    @Option(names = "--url", description = "Ingress URL (default: http://127.0.0.1:<http.port>/api/messages).")
    String url;

    @Option(names = "--registration", paramLabel = "NAME", description = "Sign with this webhook registration's key and post with ?id=NAME.")
    String registration;

    @Option(names = "--wait", defaultValue = "10", paramLabel = "SECONDS",
            description = "Seconds to wait for the reply on teams.replies.v1 (0: do not wait; default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Override
    public Integer call() throws Exception {
        TlaConfig config = options.load();
        WebhookConfig webhook = WebhookConfig.from(config);
        String secretName = webhook.defaultKeySecret();
        String boundTenant = webhook.tenantId();
        if (registration != null) {
            WebhookConfig.Registration reg = webhook.registrations().get(registration);
            if (reg == null) {
                throw new IllegalArgumentException("no webhook registration '" + registration + "' (webhook.registrations)");
            }
            secretName = reg.secret();
            boundTenant = reg.tenantId();
        }
        String tenant = this.tenant != null ? this.tenant : boundTenant(boundTenant);
        Secret key = webhookKey(config, secretName);

        String target = url != null ? url : "http://127.0.0.1:" + HttpConfig.from(config).port() + "/api/messages";
        if (registration != null) {
            target += (target.contains("?") ? "&" : "?") + "id=" + registration;
        }
        Instant now = Instant.now();
        String messageId = messageId(now);
        byte[] body = Json.mapper().writeValueAsBytes(activity(messageId, now, text, tenant, conversation));

        try (KafkaConsumer<String, String> replies = waitSeconds > 0 ? replyConsumer(config) : null) {
            long started = System.nanoTime();
            HttpResponse<String> response = postSigned(target, body, key);
            System.out.printf("POST %s -> %d %s (%d ms)%n", target, response.statusCode(), response.body(),
                    (System.nanoTime() - started) / 1_000_000);
            if (response.statusCode() / 100 != 2) {
                return 1;
            }
            if (response.statusCode() == 200) { // a sync-reply registration: the reply is the response
                System.out.println("answered inside Teams' webhook window:");
                System.out.println(Json.mapper().readTree(response.body()).path("text").asText());
                return 0;
            }
            if (replies == null) {
                return 0;
            }
            return awaitReply(replies, tenant, messageId, started) ? 0 : 3;
        }
    }

    /** The tenant a key speaks for, or the sample tenant for the default key in development mode. */
    static String boundTenant(String keyTenant) {
        return keyTenant != null ? keyTenant : DEFAULT_TENANT;
    }

    /** The webhook signing key as the ingress finds it: the secret store, else the file store under data.dir. */
    static Secret webhookKey(TlaConfig config, String secretName) {
        SecretStore store = SecretStores.create(config, System.getenv());
        FileSecretStore fileStore = new FileSecretStore(DataConfig.from(config).secretsDir());
        return SecretStores.webhookKey(store, fileStore, secretName, false).secret();
    }

    /** POSTs an activity to the ingress as Teams does: JSON, signed with {@code key}. */
    static HttpResponse<String> postSigned(String target, byte[] body, Secret key)
            throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(target))
                        .timeout(Duration.ofSeconds(15))
                        .header("Content-Type", "application/json; charset=utf-8")
                        .header("Authorization", HmacSignature.ofBase64Key(key.reveal()).authorizationHeader(body))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Teams' ids are the post's epoch milliseconds; three random digits keep sends in the same millisecond (scripts
     * running several at once) from being taken for Teams re-delivering one activity.
     */
    static String messageId(Instant now) {
        return now.toEpochMilli() + String.format("%03d", ThreadLocalRandom.current().nextInt(1000));
    }

    /** A Teams outgoing-webhook activity as Teams sends it, mentioning the bot, with its HTML attachment. */
    static ObjectNode activity(String messageId, Instant now, String text, String tenant, String conversation) {
        boolean channelThread = conversation.contains(";messageid=");
        ObjectNode activity = Json.mapper().createObjectNode();
        activity.put("type", "message");
        activity.put("id", messageId);
        activity.put("timestamp", now.toString());
        activity.put("localTimestamp", now.atOffset(ZoneOffset.ofHours(1)).toString());
        activity.put("serviceUrl", "https://smba.trafficmanager.net/emea/");
        activity.put("channelId", "msteams");
        ObjectNode from = activity.putObject("from");
        from.put("id", "29:1J4Dc0b6xRGYx5uVzBOPWuJ7BkLpAo9u4U3J2eFVZ0HqCQl6gNHrmfqMkAh9FHe4m2V8M7VnX1i1y7yV1mZfzRw");
        from.put("name", "Anna Müller");
        from.put("aadObjectId", "b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d");
        ObjectNode conv = activity.putObject("conversation");
        conv.put("isGroup", true);
        conv.put("id", conversation);
        conv.put("conversationType", channelThread ? "channel" : "groupChat");
        conv.put("tenantId", tenant);
        activity.putNull("recipient");
        activity.put("textFormat", "plain");
        activity.put("text", "<at>Translator</at> " + text);
        ArrayNode attachments = activity.putArray("attachments");
        ObjectNode html = attachments.addObject();
        html.put("contentType", "text/html");
        html.put("content", "<div><div><span itemscope=\"\" itemtype=\"http://schema.skype.com/Mention\" itemid=\"0\">"
                + "Translator</span>&nbsp;" + escapeHtml(text) + "</div></div>");
        ArrayNode entities = activity.putArray("entities");
        ObjectNode clientInfo = entities.addObject();
        clientInfo.put("type", "clientInfo");
        clientInfo.put("locale", "de-DE");
        clientInfo.put("country", "DE");
        clientInfo.put("platform", "Web");
        clientInfo.put("timezone", "Europe/Berlin");
        if (channelThread) {
            String channelId = conversation.substring(0, conversation.indexOf(';'));
            ObjectNode channelData = activity.putObject("channelData");
            channelData.put("teamsChannelId", channelId);
            channelData.put("teamsTeamId", channelId);
            channelData.putObject("channel").put("id", channelId);
            ObjectNode team = channelData.putObject("team");
            team.put("id", channelId);
            team.put("aadGroupId", "0f3b8a52-5c7e-4d1a-9b2c-3d4e5f6a7b8c");
            channelData.putObject("tenant").put("id", tenant);
        } else {
            activity.putObject("channelData").putObject("tenant").put("id", tenant);
        }
        activity.putNull("replyToId");
        activity.put("locale", "de-DE");
        return activity;
    }

    private static String escapeHtml(String value) {
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * Reads replies and telemetry (a message already in the only target language gets no reply, only telemetry
     * saying {@code translation.skipped}). Positioned at the end of every partition before the POST, so only what
     * arrives after it is read.
     */
    static KafkaConsumer<String, String> replyConsumer(TlaConfig config) {
        Map<String, Object> props = KafkaClients.forTool(config, System.getenv()).properties("tla-send");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> partitions = java.util.stream.Stream.of(Topics.REPLIES.name(), Topics.TELEMETRY.name())
                .flatMap(topic -> consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream())
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    /** The reply to {@code messageId} of {@code tenant} (the tenant the ingress stored the message for). */
    private boolean awaitReply(KafkaConsumer<String, String> consumer, String tenant, String messageId, long started)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                if (record.topic().equals(Topics.TELEMETRY.name())) {
                    TelemetryEvent event = Json.mapper().readValue(record.value(), TelemetryEvent.class);
                    if (messageId.equals(event.messageId()) && tenant.equals(event.tenantId())) {
                        // in the message's one event (or the separate event an earlier topology sent)
                        Optional<Map<String, Object>> skipped = event.facts(TelemetryEvent.Types.TRANSLATION_SKIPPED);
                        if (skipped.isPresent()) {
                            System.out.printf("not translated: the message is already in the tenant's only target"
                                    + " language (%s); no reply is sent (%d ms)%n", skipped.get().get("language"),
                                    (System.nanoTime() - started) / 1_000_000);
                            return true;
                        }
                    }
                    continue;
                }
                ReplyEvent reply = Json.mapper().readValue(record.value(), ReplyEvent.class);
                if (messageId.equals(reply.replyToId()) && tenant.equals(reply.tenantId())) {
                    System.out.printf("reply %s (%s, provider %s) on %s partition %d offset %d after %d ms:%n",
                            reply.replyId(), reply.kind().wireName(), reply.provider(), record.topic(),
                            record.partition(), record.offset(), (System.nanoTime() - started) / 1_000_000);
                    for (Translation translation : reply.translations()) {
                        System.out.printf("  [%s] %s%n", translation.language(), translation.text());
                    }
                    return true;
                }
            }
        }
        System.out.printf("no reply on %s within %d s%n", Topics.REPLIES.name(), waitSeconds);
        return false;
    }
}
