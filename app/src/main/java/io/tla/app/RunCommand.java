package io.tla.app;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tla run}: everything (or the named roles) in one process, in the foreground, until SIGINT/SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the pipeline: embedded broker (unless kafka.bootstrap.servers is set), topology, ingress, "
                + "reply connector and dashboard feed.")
final class RunCommand implements Callable<Integer> {

    @Mixin
    TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

    @Option(names = "--role", paramLabel = "ROLES", defaultValue = "ingress,topology,replies,dashboard",
            description = "Comma-separated roles to run: ingress, topology, replies, dashboard (default: all).")
    String roles;

    @Override
    public Integer call() throws Exception {
        Set<Role> selected = Role.parse(roles);
        TlaRuntime runtime = new TlaRuntime();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            if (runtime.started() != null) {
                System.err.println("tla: stopping…");
            }
            runtime.close();
            stopped.countDown();
        }, "tla-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        TlaRuntime.Started started = runtime.start(options.load(), selected, System.getenv());
        runtime.awaitRunning(java.time.Duration.ofSeconds(60));
        banner(System.out, started);
        stopped.await();
        return 0;
    }

    static void banner(PrintStream out, TlaRuntime.Started s) {
        String base = "http://127.0.0.1:" + s.httpPort();
        String mgmt = "http://" + bannerHost(s.managementHost()) + ":" + s.managementPort();
        out.println();
        out.printf("tla-streams is running  roles: %s  broker: %s%s  data: %s%n",
                s.roles().stream().map(Role::label).collect(Collectors.joining(",")),
                s.bootstrapServers(), s.embeddedBroker() ? " (embedded)" : "", s.dataDir());
        out.printf("  listeners  webhook %s (POST /api/messages, /health/*)   management %s (auth: %s)%n",
                base, mgmt, s.managementAuth());
        if (s.roles().contains(Role.INGRESS)) {
            out.printf("  webhook    POST %s/api/messages%n", base);
            s.webhookKey().ifPresent(key -> out.printf("  signing key %s%s%n", key.location(),
                    key.generated() ? "  (generated now: paste its content into Teams' outgoing webhook setup)" : ""));
        }
        if (s.roles().contains(Role.DASHBOARD)) {
            out.printf("  dashboard  %s/dashboard/    status %s/api/status%n", mgmt, mgmt);
        }
        out.printf("  metrics    %s/metrics%s    ready %s/health/ready%n", mgmt,
                "none".equals(s.managementAuth()) ? "" : " (Authorization: Bearer <management token>)", mgmt);
        if (s.roles().contains(Role.INGRESS)) {
            out.println("  try it     ./tla send --text \"Guten Morgen, wie geht es?\"");
        }
        if (s.roles().contains(Role.REPLIES)) {
            out.printf("  replies    %s  and topic teams.replies.v1 (kcat -b %s -C -t teams.replies.v1)%n",
                    s.dataDir().resolve("outbox"), s.bootstrapServers());
        }
        out.printf("started in %.1f s; Ctrl-C stops%n%n", s.startMillis() / 1000.0);
        out.flush();
    }

    /** Where to point a browser: the bound address, or loopback when bound to every interface. */
    private static String bannerHost(String host) {
        if ("0.0.0.0".equals(host) || "::".equals(host) || "[::]".equals(host)) {
            return "127.0.0.1";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
