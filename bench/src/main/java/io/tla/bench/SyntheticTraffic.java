package io.tla.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Realistic Teams traffic for the benchmarks, deterministic per message index: a handful of tenants, many
 * conversations (channel threads, group chats, personal chats), multilingual texts of about one KiB.
 * Message {@code i} belongs to conversation {@code i % conversations}, so the load spreads over all of them.
 */
public final class SyntheticTraffic {

    private static final String[] SENTENCES = {
        "Guten Morgen zusammen, könnt ihr bitte bis Donnerstag die überarbeitete Roadmap für das dritte Quartal prüfen?",
        "Der Kunde hat gestern angerufen und gefragt, ob wir die Lieferung um eine Woche vorziehen können.",
        "Bonjour à tous, la réunion de demain est déplacée à 14 h, salle Confluence au deuxième étage.",
        "Pouvez-vous m'envoyer le compte rendu de l'atelier avec les décisions prises sur le budget ?",
        "Hola equipo, el despliegue en producción terminó sin errores y los paneles muestran valores normales.",
        "¿Alguien puede revisar la solicitud de cambios antes del viernes? Es bastante urgente para el cliente.",
        "Please double-check the invoice numbers before we send the quarterly report to finance.",
        "The integration tests are green again after the fix to the retry logic in the reply connector.",
        "Ich bin ab Montag zwei Wochen im Urlaub, Maria übernimmt in der Zeit die Abstimmung mit dem Einkauf.",
        "Il faudrait aussi mettre à jour la documentation d'exploitation avant la mise en production.",
        "Los datos de la encuesta muestran que el 72 % de los usuarios prefiere la nueva interfaz.",
        "Kurze Erinnerung: die Sicherheitsschulung ist bis Ende des Monats für alle verpflichtend.",
        "Merci pour votre retour rapide, je transmets les chiffres corrigés à l'équipe commerciale.",
        "Could someone from the platform team join the incident review on Wednesday at 10:30?",
    };

    private static final String[] NAMES = {
        "Anna Müller", "Jean Dupont", "Lucía García", "Tom Becker", "Chloé Martin", "Diego Fernández", "Priya Nair",
    };

    private final String idPrefix;
    private final int conversations;
    private final int tenants;
    private final int textBytes;
    private final List<String> tenantIds;

    /**
     * @param idPrefix      prefix of every activity id, unique per run and phase
     * @param conversations how many conversations the messages spread over
     * @param tenants       how many tenants own those conversations
     * @param textBytes     approximate UTF-8 size of each text
     */
    public SyntheticTraffic(String idPrefix, int conversations, int tenants, int textBytes) {
        if (conversations < 1 || tenants < 1 || textBytes < 16) {
            throw new IllegalArgumentException("conversations, tenants >= 1 and textBytes >= 16");
        }
        this.idPrefix = idPrefix;
        this.conversations = conversations;
        this.tenants = tenants;
        this.textBytes = textBytes;
        List<String> ids = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            ids.add(uuid(new SplittableRandom(0x7e4a17L + t)));
        }
        this.tenantIds = List.copyOf(ids);
    }

    public int conversations() {
        return conversations;
    }

    public int tenants() {
        return tenants;
    }

    public List<String> tenantIds() {
        return tenantIds;
    }

    public String messageId(int index) {
        return idPrefix + index;
    }

    /** The message index of an activity id of this traffic, or -1. */
    public int indexOf(String messageId) {
        if (messageId == null || !messageId.startsWith(idPrefix)) {
            return -1;
        }
        try {
            return Integer.parseInt(messageId, idPrefix.length(), messageId.length(), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The normalised message {@code index}, as the ingress would have written it at {@code receivedAt}. */
    public NormalizedMessage message(int index, Instant receivedAt) {
        Conversation c = conversation(index % conversations);
        // the prefix goes into the seed: a warm-up's texts never reappear in the measured run, where the
        // translation cache would answer them without a model call
        SplittableRandom random = new SplittableRandom(index * 0x9E3779B97F4A7C15L + idPrefix.hashCode());
        String name = NAMES[random.nextInt(NAMES.length)];
        return new NormalizedMessage(messageId(index), c.tenantId, c.id, c.type,
                new Sender("29:" + hex(random, 40), name, uuid(random)), text(random), c.teamAadGroupId,
                c.channelId, c.rootMessageId, "https://smba.trafficmanager.net/emea/", receivedAt,
                c.type == ConversationType.CHANNEL ? c.channelId : null, null, null);
    }

    /** The Teams outgoing-webhook activity that normalises to {@link #message(int, Instant)}, as JSON bytes. */
    public byte[] activity(int index, Instant timestamp) {
        NormalizedMessage m = message(index, timestamp);
        ObjectNode activity = Json.mapper().createObjectNode();
        activity.put("type", "message");
        activity.put("id", m.messageId());
        activity.put("timestamp", timestamp.toString());
        activity.put("serviceUrl", m.serviceUrl());
        activity.put("channelId", "msteams");
        ObjectNode from = activity.putObject("from");
        from.put("id", m.from().id());
        from.put("name", m.from().name());
        from.put("aadObjectId", m.from().aadObjectId());
        ObjectNode conversation = activity.putObject("conversation");
        conversation.put("isGroup", m.conversationType() != ConversationType.PERSONAL);
        conversation.put("id", m.conversationId());
        conversation.put("conversationType", m.conversationType().wireName());
        conversation.put("tenantId", m.tenantId());
        activity.put("textFormat", "plain");
        activity.put("text", "<at>Translator</at> " + m.text());
        activity.putArray("entities").addObject().put("type", "clientInfo").put("locale", "de-DE");
        ObjectNode channelData = activity.putObject("channelData");
        if (m.conversationType() == ConversationType.CHANNEL) {
            channelData.put("teamsChannelId", m.channelId());
            channelData.putObject("channel").put("id", m.channelId());
            channelData.putObject("team").put("id", m.channelId()).put("aadGroupId", m.teamAadGroupId());
        }
        channelData.putObject("tenant").put("id", m.tenantId());
        try {
            return Json.mapper().writeValueAsBytes(activity);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Conversation(String id, String tenantId, ConversationType type, String teamAadGroupId,
                                String channelId, String rootMessageId) {
    }

    private Conversation conversation(int c) {
        SplittableRandom random = new SplittableRandom(0xC0FFEEL + c);
        String tenantId = tenantIds.get(c % tenants);
        int kind = c % 10;
        if (kind < 6) {
            String channel = "19:" + hex(random, 32) + "@thread.tacv2";
            String root = Long.toString(1_732_540_000_000L + c);
            return new Conversation(channel + ";messageid=" + root, tenantId, ConversationType.CHANNEL,
                    uuid(random), channel, root);
        }
        if (kind < 9) {
            return new Conversation("19:" + hex(random, 32) + "@thread.v2", tenantId, ConversationType.GROUP_CHAT,
                    null, null, null);
        }
        return new Conversation("a:1" + hex(random, 60), tenantId, ConversationType.PERSONAL, null, null, null);
    }

    private String text(SplittableRandom random) {
        StringBuilder text = new StringBuilder(textBytes + 128);
        int bytes = 0;
        while (bytes < textBytes) {
            String sentence = SENTENCES[random.nextInt(SENTENCES.length)];
            if (text.length() > 0) {
                text.append(' ');
                bytes++;
            }
            text.append(sentence);
            bytes += sentence.getBytes(StandardCharsets.UTF_8).length;
        }
        return text.toString();
    }

    private static String hex(SplittableRandom random, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(Character.forDigit(random.nextInt(16), 16));
        }
        return s.toString();
    }

    private static String uuid(SplittableRandom random) {
        String h = hex(random, 32);
        return String.format(Locale.ROOT, "%s-%s-4%s-a%s-%s", h.substring(0, 8), h.substring(8, 12),
                h.substring(13, 16), h.substring(17, 20), h.substring(20, 32));
    }
}
