package io.tla.connectors.replies;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReplyIdMemoryTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void remembersEachIdsLatestValueAndForgetsTheOldestFirstOnceFull() {
        ReplyIdMemory memory = new ReplyIdMemory(3);
        memory.put("a", (byte) 1, T0);
        memory.put("b", (byte) 1, T0.plusSeconds(1));
        memory.put("a", (byte) 2, T0.plusSeconds(2)); // keeps its place as the oldest
        memory.put("c", (byte) 1, T0.plusSeconds(3));
        memory.put("d", (byte) 1, T0.plusSeconds(4));

        assertThat(memory.get("a")).isZero();
        assertThat(memory.get("b")).isEqualTo((byte) 1);
        assertThat(memory.get("d")).isEqualTo((byte) 1);
        assertThat(memory.size()).isEqualTo(3);
        assertThat(memory.forgotten()).isEqualTo(1);
        assertThat(memory.forgottenThrough()).isEqualTo(T0.plusSeconds(2));
    }

    @Test
    void nothingForgottenMeansNoForgottenThrough() {
        ReplyIdMemory memory = new ReplyIdMemory(10);
        memory.put("a", (byte) 1, T0);
        memory.remove("a");
        assertThat(memory.contains("a")).isFalse();
        assertThat(memory.forgottenThrough()).isNull();
        assertThat(memory.forgotten()).isZero();
    }

    /** Against a model of the ring (ids in first-remembered order, removed ones kept as holes until they age out). */
    @Test
    void agreesWithAModelUnderRandomPutsRemovesAndEvictions() {
        Random random = new Random(17);
        int maxIds = 500; // under the initial capacity: the ring never grows, so the model is exact
        ReplyIdMemory memory = new ReplyIdMemory(maxIds);
        ArrayDeque<String[]> ring = new ArrayDeque<>(); // {id, removed?}
        Map<String, Byte> held = new HashMap<>();
        Map<String, String[]> slotOf = new HashMap<>();
        long forgotten = 0;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            ids.add(random.nextBoolean() ? UUID.randomUUID().toString() : "reply-" + i);
        }
        for (int step = 0; step < 200_000; step++) {
            String id = ids.get(random.nextInt(ids.size()));
            if (random.nextInt(10) == 0) {
                memory.remove(id);
                if (held.remove(id) != null) {
                    slotOf.remove(id)[1] = "removed";
                }
            } else {
                byte value = (byte) (1 + random.nextInt(3));
                memory.put(id, value, T0);
                if (held.containsKey(id)) {
                    held.put(id, value);
                } else {
                    if (ring.size() == maxIds) {
                        String[] oldest = ring.removeFirst();
                        if (oldest[1] == null) {
                            held.remove(oldest[0]);
                            slotOf.remove(oldest[0]);
                            forgotten++;
                        }
                    }
                    String[] slot = {id, null};
                    ring.addLast(slot);
                    slotOf.put(id, slot);
                    held.put(id, value);
                }
            }
            if (step % 997 == 0) {
                for (String each : ids) {
                    assertThat(memory.get(each)).as(each).isEqualTo(held.getOrDefault(each, (byte) 0));
                }
            }
        }
        assertThat(memory.size()).isEqualTo(held.size());
        assertThat(memory.forgotten()).isEqualTo(forgotten);
    }

    @Test
    void growsPastItsInitialCapacityKeepingEveryIdAndDroppingRemovedOnes() {
        ReplyIdMemory memory = new ReplyIdMemory(1_000_000);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(UUID.nameUUIDFromBytes(("m" + i).getBytes()).toString());
            memory.put(ids.get(i), (byte) 1, T0);
            if (i % 3 == 0) {
                memory.remove(ids.get(i));
            }
        }
        for (int i = 0; i < ids.size(); i++) {
            assertThat(memory.contains(ids.get(i))).as("id %d", i).isEqualTo(i % 3 != 0);
        }
        assertThat(memory.size()).isEqualTo(100_000 - 33_334);
        assertThat(memory.forgotten()).isZero();
    }

    @Test
    void growingAndForgettingTogetherKeepExactlyTheNewestIds() {
        ReplyIdMemory memory = new ReplyIdMemory(5_000);
        for (int i = 0; i < 20_000; i++) {
            memory.put("reply-" + i, (byte) 1, T0.plusSeconds(i));
        }
        for (int i = 0; i < 20_000; i++) {
            assertThat(memory.contains("reply-" + i)).as("reply-%d", i).isEqualTo(i >= 15_000);
        }
        assertThat(memory.forgotten()).isEqualTo(15_000);
        assertThat(memory.forgottenThrough()).isEqualTo(T0.plusSeconds(14_999));
    }

    @Test
    void idsThatParseToTheSameUuidButAreWrittenDifferentlyStayApart() {
        ReplyIdMemory memory = new ReplyIdMemory(10);
        String canonical = "00000000-0000-0000-0000-000000000001";
        memory.put(canonical, (byte) 1, T0);
        assertThat(memory.contains("0-0-0-0-1")).isFalse();
        assertThat(memory.contains("00000000-0000-0000-0000-00000000000a")).isFalse();
        String upper = "6F9619FF-8B86-D011-B42D-00C04FC964FF";
        memory.put(upper, (byte) 2, T0);
        assertThat(memory.get(upper)).isEqualTo((byte) 2);
        assertThat(memory.contains(upper.toLowerCase())).isFalse();
    }

    @Test
    void holdsAMillionReplyIdsInAboutThirtyBytesEach() {
        ReplyIdMemory memory = new ReplyIdMemory(1_000_000);
        for (int i = 0; i < 1_000_000; i++) {
            memory.put(UUID.nameUUIDFromBytes(("t\nm" + i + "\ntranslation").getBytes()).toString(), (byte) 1, T0);
        }
        assertThat(memory.size()).isEqualTo(1_000_000);
        assertThat(memory.bytesHeld() / 1_000_000.0).isLessThan(35.0);
    }
}
