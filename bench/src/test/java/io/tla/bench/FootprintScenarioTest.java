package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FootprintScenarioTest {

    @Test
    void readsTheResidentSetAndItsPeakOfARunningProcessFromProc() {
        long pid = ProcessHandle.current().pid();

        long rss = FootprintScenario.rssKib(pid, "VmRSS");
        long peak = FootprintScenario.rssKib(pid, "VmHWM");

        assertThat(rss).isPositive();
        assertThat(peak).isGreaterThanOrEqualTo(rss);
        assertThat(FootprintScenario.rssKib(pid, "NoSuchField")).isEqualTo(-1);
    }

    @Test
    void sumsHeapUsedCommittedAndMaxOverThePoolsOfARealPrometheusScrape() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Map<String, Double> heap = FootprintScenario.heap(HttpClient.newHttpClient(),
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics"));

            long maxHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
            assertThat(heap.get("used")).isPositive();
            assertThat(heap.get("committed")).isGreaterThanOrEqualTo(heap.get("used"));
            // the pools' maxima add up to the heap's (G1's young pools report none and are left out)
            assertThat(heap.get("max")).isBetween(maxHeap * 0.9, maxHeap * 1.1);
        } finally {
            server.stop(0);
        }
    }
}
