import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The Kafka questions ops/cluster/cluster.sh asks its cluster, through Kafka's admin client (compiled once by the
 * script into the cluster directory). Usage: {@code ClusterAdmin BOOTSTRAP CLIENT_PROPERTIES COMMAND ARGS}, where
 * CLIENT_PROPERTIES is a file of client settings (security) or "-":
 * <ul>
 *   <li>{@code ready BROKERS TIMEOUT_S}: waits until BROKERS brokers are registered and a topic with replication
 *   factor BROKERS can be created (it is deleted again); exit 1 on timeout.</li>
 *   <li>{@code await-node ID TIMEOUT_S}: waits until broker ID is registered, then (within the same timeout) until
 *   it is back in the ISR of every partition it replicates; exit 1 only when it never registered.</li>
 *   <li>{@code leaders [NODES]}: one line per broker (and per id 1..NODES, down or not), {@code ID COUNT}: how many
 *   partitions it leads.</li>
 * </ul>
 * Progress goes to stderr, results to stdout.
 */
public final class ClusterAdmin {

    private static final String CHECK_TOPIC = "__tla_cluster_check";

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: ClusterAdmin BOOTSTRAP CLIENT_PROPERTIES|- ready|await-node|leaders ...");
            System.exit(2);
        }
        Properties props = new Properties();
        if (!"-".equals(args[1])) {
            try (InputStream in = new FileInputStream(args[1])) {
                props.load(in);
            }
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "tla-cluster-sh");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        int code;
        try (Admin admin = Admin.create(props)) {
            code = switch (args[2]) {
                case "ready" -> ready(admin, Integer.parseInt(args[3]), seconds(args[4]));
                case "await-node" -> awaitNode(admin, Integer.parseInt(args[3]), seconds(args[4]));
                case "leaders" -> leaders(admin, args.length > 3 ? Integer.parseInt(args[3]) : 0);
                default -> {
                    System.err.println("unknown command " + args[2]);
                    yield 2;
                }
            };
        }
        System.exit(code);
    }

    private static long seconds(String arg) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(arg));
    }

    private static Collection<Node> brokers(Admin admin) {
        try {
            return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    private static int ready(Admin admin, int expected, long deadline) throws InterruptedException {
        int seen = -1;
        while (System.nanoTime() < deadline) {
            int now = brokers(admin).size();
            if (now != seen) {
                System.err.println("brokers registered: " + now + " of " + expected);
                seen = now;
            }
            if (now >= expected) {
                break;
            }
            Thread.sleep(500);
        }
        if (seen < expected) {
            return 1;
        }
        String last = null;
        while (System.nanoTime() < deadline) {
            try {
                try {
                    admin.createTopics(List.of(new NewTopic(CHECK_TOPIC, 1, (short) expected)))
                            .all().get(10, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
                TopicDescription d = admin.describeTopics(List.of(CHECK_TOPIC)).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get(CHECK_TOPIC);
                TopicPartitionInfo p = d.partitions().get(0);
                if (p.leader() != null && p.replicas().size() == expected) {
                    admin.deleteTopics(List.of(CHECK_TOPIC)).all().get(10, TimeUnit.SECONDS);
                    System.err.println("a topic with replication factor " + expected + " was created");
                    return 0;
                }
            } catch (Exception e) {
                String message = e.getCause() != null ? e.getCause().toString() : e.toString();
                if (!message.equals(last)) {
                    System.err.println("creating a test topic: " + message);
                    last = message;
                }
            }
            Thread.sleep(500);
        }
        return 1;
    }

    private static int awaitNode(Admin admin, int id, long deadline) throws InterruptedException {
        while (brokers(admin).stream().noneMatch(n -> n.id() == id)) {
            if (System.nanoTime() > deadline) {
                System.err.println("broker " + id + " did not register");
                return 1;
            }
            Thread.sleep(500);
        }
        System.err.println("broker " + id + " is registered");
        long behind = -1;
        while (System.nanoTime() < deadline) {
            Optional<Map<String, TopicDescription>> topics = describeAll(admin);
            if (topics.isPresent()) {
                long now = topics.get().values().stream().flatMap(t -> t.partitions().stream())
                        .filter(p -> p.replicas().stream().anyMatch(r -> r.id() == id))
                        .filter(p -> p.isr().stream().noneMatch(r -> r.id() == id))
                        .count();
                if (now != behind) {
                    System.err.println("partitions where broker " + id + " is not in the ISR yet: " + now);
                    behind = now;
                }
                if (now == 0) {
                    return 0;
                }
            }
            Thread.sleep(500);
        }
        System.err.println("broker " + id + " is registered but not yet in every ISR");
        return 0;
    }

    private static Optional<Map<String, TopicDescription>> describeAll(Admin admin) {
        try {
            Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(10, TimeUnit.SECONDS);
            return Optional.of(admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static int leaders(Admin admin, int nodes) {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int id = 1; id <= nodes; id++) {
            counts.put(id, 0);
        }
        brokers(admin).forEach(n -> counts.put(n.id(), 0));
        Optional<Map<String, TopicDescription>> topics = describeAll(admin);
        if (topics.isEmpty()) {
            System.err.println("cannot describe the cluster's topics");
            return 1;
        }
        topics.get().values().stream().flatMap(t -> t.partitions().stream())
                .map(TopicPartitionInfo::leader)
                .filter(leader -> leader != null && !leader.isEmpty())
                .collect(Collectors.groupingBy(Node::id, Collectors.counting()))
                .forEach((id, n) -> counts.put(id, n.intValue()));
        counts.forEach((id, n) -> System.out.println(id + " " + n));
        return 0;
    }

    private ClusterAdmin() {
    }
}
