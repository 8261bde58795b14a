package io.tla.connectors.teams;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.TeamsBotConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicFollower;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.TeamDirectoryEntry;
import io.tla.schemas.TeamDirectoryEntry.Source;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which AAD group id belongs to a team's {@code 19:...@thread} id, for Graph channel replies to activities that
 * carry only the thread id. Every instance follows the compacted topic {@code tla.teams.directory.v1} whole (all
 * partitions, from the beginning, on its own thread) and is {@linkplain #ready() ready} once it has read up to the
 * end it found at start. Mappings come from three places, each written to the topic once: signed activities that
 * name both ids, a webhook registration's {@code team-aad-group-id} with the team id of its activity (both through
 * {@link #seen}), and one Bot Framework lookup per team ({@link #resolve}) when neither has. A team that could not
 * be resolved is not looked up again for {@code teams.directory.negative-ttl-ms}.
 *
 * <p>Team ids are named by senders, so memory is bounded: mappings learned from traffic (activities,
 * registrations) live in an LRU of {@code teams.directory.max-learned-teams}; mappings the Bot Framework confirmed
 * are kept (each took a successful authenticated lookup); failures are remembered per tenant and team for at most
 * {@code teams.directory.max-misses} pairs. Every entry carries its tenant: a sighting of another tenant never
 * replaces it, and a lookup for another tenant never gets it.
 */
public final class TeamDirectory implements TeamSightings, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TeamDirectory.class);
    private static final String TOPIC = Topics.TEAM_DIRECTORY.name();
    private static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /** The outcome of {@link #resolve}: the AAD group id, or what was tried (ids and URLs only, never a secret). */
    public record Resolution(String aadGroupId, String detail) {
        public boolean resolved() {
            return aadGroupId != null;
        }

        static Resolution of(String aadGroupId, String detail) {
            return new Resolution(aadGroupId, detail);
        }

        static Resolution unresolved(String detail) {
            return new Resolution(null, detail);
        }
    }

    private record Miss(String detail, Instant until) {
    }

    private final TeamsBotConfig config;
    private final BotFrameworkTeams botFramework;
    private final Clock clock;
    private final TopicFollower reader;
    private final Deserializer<TeamDirectoryEntry> values = Topics.TEAM_DIRECTORY.valueSerde().deserializer();
    private final KafkaProducer<String, TeamDirectoryEntry> producer;
    /** Confirmed by a Bot Framework lookup: kept. */
    private final Map<String, TeamDirectoryEntry> confirmed = new ConcurrentHashMap<>();
    /** Learned from what senders sent: bounded, least recently used dropped first. */
    private final Cache<String, TeamDirectoryEntry> learned;
    /** Tenant + team id of recent lookup failures: bounded. */
    private final Cache<String, Miss> misses;
    /** Serialises the check-then-write of {@link #learn} and {@link #apply} across the two maps. */
    private final Object writes = new Object();
    private final Map<String, Object> lookupLocks = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    /**
     * @param identityHttpClient the HTTP client azure-identity uses towards the authority; null for its default
     */
    public TeamDirectory(TeamsBotConfig config, SecretStore secrets, KafkaClients clients, MeterRegistry registry,
                         Clock clock, com.azure.core.http.HttpClient identityHttpClient) {
        this.config = config;
        this.botFramework = new BotFrameworkTeams(config, secrets, identityHttpClient);
        this.clock = clock;
        this.registry = registry;
        // evictions run on the caller's thread: the bound holds at every moment, not eventually
        this.learned = Caffeine.newBuilder().maximumSize(config.maxLearnedTeams()).executor(Runnable::run).build();
        this.misses = Caffeine.newBuilder().maximumSize(config.maxMisses()).executor(Runnable::run).build();
        this.reader = new TopicFollower(clients, "tla-team-directory-reader", TOPIC, TopicFollower.FROM_BEGINNING,
                records -> records.forEach(this::apply));
        Map<String, Object> producerProps = clients.properties("tla-team-directory-writer");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        this.producer = new KafkaProducer<>(producerProps, Topics.TEAM_DIRECTORY.keySerde().serializer(),
                Topics.TEAM_DIRECTORY.valueSerde().serializer());
        Gauge.builder("tla.teams.directory.teams", this, TeamDirectory::size)
                .description("Teams whose AAD group id this instance knows").register(registry);
    }

    /** Starts following the topic. */
    public TeamDirectory start() {
        reader.start();
        return this;
    }

    /** Whether the topic has been read up to the end it had when following started. */
    public boolean ready() {
        return reader.isCaughtUp();
    }

    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return reader.awaitCaughtUp(timeout);
    }

    /** Teams known, for readiness details. */
    public int size() {
        return confirmed.size() + (int) learned.estimatedSize();
    }

    /** Traffic-learned teams held, for tests: the bounded part, whatever the topic held before. */
    long learnedTeams() {
        learned.cleanUp();
        return learned.estimatedSize();
    }

    /** Misses remembered, for tests. */
    long misses() {
        misses.cleanUp();
        return misses.estimatedSize();
    }

    public Optional<TeamDirectoryEntry> get(String teamId) {
        return teamId == null ? Optional.empty() : Optional.ofNullable(known(teamId));
    }

    private TeamDirectoryEntry known(String teamId) {
        TeamDirectoryEntry entry = confirmed.get(teamId);
        return entry != null ? entry : learned.getIfPresent(teamId);
    }

    /** Traffic-learned mappings go to the bounded LRU, confirmed ones are kept; a team is in one of them. */
    private void store(TeamDirectoryEntry entry) {
        if (entry.source() == Source.BOT_FRAMEWORK) {
            confirmed.put(entry.teamId(), entry);
            learned.invalidate(entry.teamId());
        } else {
            learned.put(entry.teamId(), entry);
            confirmed.remove(entry.teamId());
        }
    }

    private void forget(String teamId) {
        confirmed.remove(teamId);
        learned.invalidate(teamId);
    }

    /** An entry that names a tenant belongs to it alone; one without a tenant (older entries) to nobody yet. */
    private static boolean belongsToAnother(TeamDirectoryEntry entry, String tenantId) {
        return entry.tenantId() != null && (tenantId == null || !entry.tenantId().equalsIgnoreCase(tenantId));
    }

    private static String missKey(String tenantId, String teamId) {
        return (tenantId == null ? "" : tenantId.toLowerCase(java.util.Locale.ROOT)) + "|" + teamId;
    }

    @Override
    public void seen(NormalizedMessage message, String registrationTeamAadGroupId) {
        String aadGroupId = message.teamAadGroupId();
        if (message.teamId() == null || aadGroupId == null) {
            return;
        }
        learn(message.teamId(), message.tenantId(), aadGroupId, null,
                aadGroupId.equalsIgnoreCase(registrationTeamAadGroupId) ? Source.REGISTRATION : Source.ACTIVITY);
    }

    /**
     * Records that {@code teamId} is the team with AAD group id {@code aadGroupId} and publishes it when that is
     * new. A registration's mapping never replaces one an activity or the Bot Framework gave (the registration may
     * be misconfigured; they are not), and nothing replaces an entry of another tenant: a team id is whatever a
     * sender wrote, and tenant B must not redirect tenant A's replies. Returns whether anything was published.
     */
    public boolean learn(String teamId, String tenantId, String aadGroupId, String teamName, Source source) {
        if (teamId == null || !teamId.startsWith("19:") || aadGroupId == null || !GUID.matcher(aadGroupId).matches()
                || aadGroupId.equalsIgnoreCase(tenantId)) {
            return false;
        }
        TeamDirectoryEntry entry = new TeamDirectoryEntry(teamId, tenantId, aadGroupId, teamName, source,
                clock.instant());
        TeamDirectoryEntry[] previous = {null};
        synchronized (writes) {
            TeamDirectoryEntry known = known(teamId);
            if (known != null && belongsToAnother(known, tenantId)) {
                count("tenant-conflict");
                log.warn("event=team_directory_tenant_conflict team_id={} tenant={} owner_tenant={} source={}"
                        + " action=kept_owner", teamId, tenantId, known.tenantId(), source.wireName());
                return false;
            }
            if (known != null && (known.aadGroupId().equalsIgnoreCase(aadGroupId)
                    || source == Source.REGISTRATION && known.source() != Source.REGISTRATION)) {
                return false;
            }
            previous[0] = known;
            store(entry);
        }
        misses.invalidate(missKey(tenantId, teamId));
        if (previous[0] != null) {
            log.warn("event=team_directory_changed team_id={} tenant={} aad_group_id={} previous={} source={}"
                    + " previous_source={}", teamId, tenantId, aadGroupId, previous[0].aadGroupId(),
                    source.wireName(), previous[0].source().wireName());
        } else {
            log.info("event=team_directory_learned team_id={} tenant={} aad_group_id={} source={}", teamId, tenantId,
                    aadGroupId, source.wireName());
        }
        try {
            producer.send(new ProducerRecord<>(TOPIC, teamId, entry), (metadata, exception) -> {
                if (exception != null) {
                    publishFailed(teamId, exception);
                }
            });
        } catch (RuntimeException e) {
            publishFailed(teamId, e); // never fails the caller: the ingress answers Teams whatever happens here
        }
        return true;
    }

    /** Kept in memory; the next message naming the team, or a lookup, publishes it again after a restart. */
    private static void publishFailed(String teamId, Exception e) {
        log.warn("event=team_directory_publish_failed team_id={} error={}", teamId, e.getClass().getSimpleName());
    }

    /**
     * The AAD group id of team {@code teamId}: from the directory, else from one Bot Framework lookup at
     * {@code serviceUrl} (stored to the topic), unless the team failed recently. An entry learned for another
     * tenant is not used.
     */
    public Resolution resolve(String teamId, String serviceUrl, String tenantId) {
        if (teamId == null || teamId.isBlank()) {
            return Resolution.unresolved("the reply carries no team id (channelData.team.id)");
        }
        Optional<Resolution> known = fromDirectory(teamId, tenantId);
        if (known.isPresent()) {
            return known.get();
        }
        String missing = "team " + teamId + " is not in " + TOPIC;
        if (!config.lookups()) {
            return Resolution.unresolved(missing + " and Bot Framework lookups are off (" + TeamsBotConfig.APP_ID
                    + " is not set); set the registration's team-aad-group-id or configure the bot");
        }
        if (!botFramework.allowed(serviceUrl)) {
            count("refused");
            return Resolution.unresolved(missing + "; not looked up: serviceUrl " + shorten(serviceUrl)
                    + " is not under " + TeamsBotConfig.SERVICE_URLS + ", so no bot token is sent there");
        }
        synchronized (lookupLocks.computeIfAbsent(teamId, id -> new Object())) {
            known = fromDirectory(teamId, tenantId);
            if (known.isPresent()) {
                return known.get();
            }
            try {
                BotFrameworkTeams.TeamDetails details = botFramework.lookup(teamId, serviceUrl);
                if (!GUID.matcher(details.aadGroupId()).matches()) {
                    return miss(tenantId, teamId,
                            missing + "; the Bot Framework answered an aadGroupId that is not a GUID");
                }
                learn(teamId, tenantId, details.aadGroupId(), details.name(), Source.BOT_FRAMEWORK);
                known = fromDirectory(teamId, tenantId);
                if (known.isPresent() && !details.aadGroupId().equalsIgnoreCase(known.get().aadGroupId())) {
                    return known.get(); // another tenant's entry arrived meanwhile: theirs stays, not ours
                }
                count("resolved");
                log.info("event=team_resolved team_id={} tenant={} aad_group_id={} source=bot-framework", teamId,
                        tenantId, details.aadGroupId());
                return Resolution.of(details.aadGroupId(), "looked up at the Bot Framework");
            } catch (BotFrameworkTeams.LookupFailed e) {
                return miss(tenantId, teamId, missing + "; Bot Framework lookup: " + e.getMessage());
            } finally {
                lookupLocks.remove(teamId);
            }
        }
    }

    private Optional<Resolution> fromDirectory(String teamId, String tenantId) {
        TeamDirectoryEntry entry = known(teamId);
        if (entry != null) {
            if (belongsToAnother(entry, tenantId)) {
                return Optional.of(Resolution.unresolved("team " + teamId + " is in " + TOPIC + " for tenant "
                        + entry.tenantId() + ", not for the reply's tenant " + tenantId));
            }
            return Optional.of(Resolution.of(entry.aadGroupId(), "from " + TOPIC + " (" + entry.source().wireName()
                    + ")"));
        }
        String missKey = missKey(tenantId, teamId);
        Miss miss = misses.getIfPresent(missKey);
        if (miss != null) {
            if (clock.instant().isBefore(miss.until())) {
                return Optional.of(Resolution.unresolved(miss.detail() + " (not looked up again before "
                        + miss.until() + ")"));
            }
            misses.asMap().remove(missKey, miss);
        }
        return Optional.empty();
    }

    private Resolution miss(String tenantId, String teamId, String detail) {
        count("failed");
        log.warn("event=team_unresolved team_id={} tenant={} detail=\"{}\"", teamId, tenantId, detail);
        if (!config.negativeTtl().isZero()) {
            misses.put(missKey(tenantId, teamId), new Miss(detail, clock.instant().plus(config.negativeTtl())));
        }
        return Resolution.unresolved(detail);
    }

    private void count(String outcome) {
        Counter.builder("tla.teams.directory.lookups").description("Bot Framework team lookups by outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    private static String shorten(String value) {
        if (value == null) {
            return "(none)";
        }
        return value.length() > 120 ? value.substring(0, 120) + "..." : value;
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null) {
            return;
        }
        String teamId = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            synchronized (writes) {
                forget(teamId);
            }
            return;
        }
        TeamDirectoryEntry entry;
        try {
            entry = values.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            return; // an unreadable entry is skipped: the team is looked up again instead
        }
        if (teamId.equals(entry.teamId())) {
            // the same rule as learn(): another instance may have accepted a sighting after forgetting the owner
            synchronized (writes) {
                TeamDirectoryEntry known = known(teamId);
                if (known != null && belongsToAnother(known, entry.tenantId())) {
                    log.warn("event=team_directory_tenant_conflict team_id={} tenant={} owner_tenant={} source=topic"
                            + " action=kept_owner", teamId, entry.tenantId(), known.tenantId());
                    return;
                }
                store(entry);
            }
            misses.invalidate(missKey(entry.tenantId(), teamId));
        }
    }

    @Override
    public void close() {
        reader.close();
        producer.close(Duration.ofSeconds(5));
    }
}
