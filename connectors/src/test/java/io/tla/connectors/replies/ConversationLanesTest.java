package io.tla.connectors.replies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConversationLanesTest {

    private record Item(String tenant, String conversation, int partition, String name) {
    }

    private ConversationLanes<Item> lanes;

    @AfterEach
    void close() {
        if (lanes != null) {
            lanes.close(Duration.ofSeconds(5));
        }
    }

    private void add(Item item) {
        lanes.add(item.tenant(), item.conversation(), item.partition(), item);
    }

    @Test
    void aConversationsItemsAreAttemptedOneAtATimeInTheOrderAdded() {
        List<String> attempted = new CopyOnWriteArrayList<>();
        AtomicInteger inConversation = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        lanes = new ConversationLanes<>("order", 8, 8, Clock.systemUTC(), item -> {
            mostAtOnce.accumulateAndGet(inConversation.incrementAndGet(), Math::max);
            sleep(2);
            attempted.add(item.name());
            inConversation.decrementAndGet();
            return ConversationLanes.DONE;
        });
        for (int i = 0; i < 50; i++) {
            add(new Item("t", "c", 0, "m" + i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> attempted.size() == 50);
        assertThat(attempted).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50)
                .mapToObj(i -> "m" + i).toList());
        assertThat(mostAtOnce.get()).isEqualTo(1);
        assertThat(lanes.size()).isZero();
        assertThat(lanes.conversations()).isZero();
    }

    @Test
    void anItemToldToWaitKeepsItsPlaceWhileOtherConversationsGoOn() {
        List<String> done = new CopyOnWriteArrayList<>();
        Map<String, Integer> tries = new ConcurrentHashMap<>();
        lanes = new ConversationLanes<>("wait", 1, 4, Clock.systemUTC(), item -> {
            if (item.name().equals("a1") && tries.merge("a1", 1, Integer::sum) == 1) {
                return new ConversationLanes.Later(Instant.now().plusMillis(800), false);
            }
            done.add(item.name());
            return ConversationLanes.DONE;
        });
        add(new Item("t", "a", 0, "a1"));
        add(new Item("t", "a", 0, "a2"));
        add(new Item("t", "b", 0, "b1"));
        add(new Item("t", "b", 0, "b2"));
        await().atMost(Duration.ofSeconds(5)).until(() -> done.size() == 4);
        // one pool thread, yet conversation b did not wait for a's 800 ms
        assertThat(done).containsSubsequence("b1", "b2", "a1", "a2");
    }

    @Test
    void aTenantToldToWaitHoldsAllItsConversationsButNoOtherTenant() {
        List<String> done = new CopyOnWriteArrayList<>();
        Map<String, Instant> doneAt = new ConcurrentHashMap<>();
        AtomicInteger throttles = new AtomicInteger();
        Instant[] throttledUntil = new Instant[1];
        lanes = new ConversationLanes<>("tenant", 4, 4, Clock.systemUTC(), item -> {
            if (item.name().equals("x1") && throttles.getAndIncrement() == 0) {
                throttledUntil[0] = Instant.now().plusMillis(1_000);
                return new ConversationLanes.Later(throttledUntil[0], true);
            }
            done.add(item.name());
            doneAt.put(item.name(), Instant.now());
            return ConversationLanes.DONE;
        });
        add(new Item("throttled", "x", 0, "x1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> throttledUntil[0] != null);
        add(new Item("throttled", "y", 1, "y1"));
        add(new Item("calm", "z", 2, "z1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> done.size() == 3);
        assertThat(doneAt.get("z1")).isBefore(throttledUntil[0]);
        assertThat(doneAt.get("y1")).isAfterOrEqualTo(throttledUntil[0].minusMillis(5));
        assertThat(lanes.tenantWaiting("throttled")).isFalse();
    }

    @Test
    void noMoreThanTheTenantsConcurrencyRunsAtOnce() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(20);
        lanes = new ConversationLanes<>("concurrency", 8, 2, Clock.systemUTC(), item -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            sleep(20);
            running.decrementAndGet();
            all.countDown();
            return ConversationLanes.DONE;
        });
        for (int i = 0; i < 20; i++) {
            add(new Item("t", "c" + i, 0, "m" + i));
        }
        assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(most.get()).isEqualTo(2);
    }

    @Test
    void droppingAPartitionDiscardsItsQueuedItemsAndWaitsForTheAttemptInProgress() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Set<String> done = ConcurrentHashMap.newKeySet();
        lanes = new ConversationLanes<>("drop", 2, 4, Clock.systemUTC(), item -> {
            if (item.name().equals("p0-1")) {
                started.countDown();
                awaitLatch(release);
            }
            done.add(item.name());
            return ConversationLanes.DONE;
        });
        add(new Item("t", "a", 0, "p0-1"));
        add(new Item("t", "a", 0, "p0-2"));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        Thread releaser = new Thread(() -> {
            sleep(300);
            release.countDown();
        });
        releaser.start();
        long before = System.nanoTime();
        lanes.drop(List.of(0), Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        assertThat(done).containsExactly("p0-1");
        sleep(200);
        assertThat(done).containsExactly("p0-1"); // p0-2 was dropped, for the partition's next owner
        assertThat(lanes.size()).isZero();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
